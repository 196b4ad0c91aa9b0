package httpapi

import (
	"net/http"

	"github.com/verdictlab/verdict/api"
)

// route is one endpoint. Every route is in openapi.json and every path of
// openapi.json is a route (TestOpenAPIMatchesRoutes).
type route struct {
	method  string
	path    string // a net/http pattern path: {name} segments
	handler http.HandlerFunc
}

// routes lists the API. Who may call what is decided in each handler:
// visitors read tasks, public leaderboards, teams, credentials, the
// status list and the marketplace; participants also read and act on
// their own submissions, selections and team; the host does everything.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", s.healthz},
		{"GET", "/metrics", s.metricsPage},
		{"GET", "/openapi.json", s.openapi},
		{"GET", "/status/{list}", s.statusList},
		{"GET", "/credentials/v1", s.credentialContext},
		{"GET", "/v1/host", s.hostInfo},

		{"GET", "/v1/tasks", s.tasks},
		{"POST", "/v1/tasks", s.createTask},
		{"GET", "/v1/tasks/{id}", s.task},
		{"POST", "/v1/tasks/{id}/close", s.closeTask},
		{"POST", "/v1/tasks/{id}/promote", s.promote},
		{"POST", "/v1/tasks/{id}/rescore", s.rescoreTask},
		{"POST", "/v1/tasks/{id}/verify", s.verifyTask},
		{"GET", "/v1/tasks/{id}/leaderboard", s.leaderboard},
		{"GET", "/v1/tasks/{id}/history", s.history},
		{"GET", "/v1/tasks/{id}/audit", s.audit},
		{"GET", "/v1/tasks/{id}/phases", s.phases},
		{"POST", "/v1/tasks/{id}/phases/advance", s.advancePhase},
		{"GET", "/v1/tasks/{id}/submissions", s.submissions},
		{"POST", "/v1/tasks/{id}/submissions", s.upload},
		{"GET", "/v1/tasks/{id}/selections", s.selections},
		{"PUT", "/v1/tasks/{id}/selections", s.selectSubmissions},
		{"GET", "/v1/tasks/{id}/admissions", s.admissions},
		{"POST", "/v1/tasks/{id}/admissions", s.admit},
		{"POST", "/v1/tasks/{id}/admissions/revoke", s.revokeAccess},
		{"POST", "/v1/tasks/{id}/admissions/credential", s.admitByCredential},
		{"POST", "/v1/tasks/{id}/invitations", s.invite},
		{"POST", "/v1/tasks/{id}/invitations/redeem", s.redeem},
		{"GET", "/v1/tasks/{id}/teams", s.teams},
		{"POST", "/v1/tasks/{id}/teams/{team}/members", s.joinTeam},
		{"POST", "/v1/tasks/{id}/teams/{team}/merge", s.mergeTeams},

		{"GET", "/v1/submissions/{id}", s.submission},
		{"GET", "/v1/submissions/{id}/events", s.events},

		{"GET", "/v1/credentials", s.credentials},
		{"GET", "/v1/credentials/{id}", s.credential},
		{"POST", "/v1/credentials/{id}/revoke", s.revoke},
		{"POST", "/v1/credentials/verify", s.verify},
		{"POST", "/v1/credentials/{id}/derive", s.derive},
		{"POST", "/v1/credentials/{id}/hide", s.hide},

		// The W3C CCG VC-API (vcapi.go).
		{"POST", "/credentials/verify", s.vcVerify},
		{"POST", "/credentials/issue", s.vcIssue},
		{"POST", "/credentials/status", s.vcStatus},
		{"GET", "/issuer/status/{purpose}", s.issuerStatusList},

		{"GET", "/v1/market", s.market},
		{"POST", "/v1/market", s.ingest},
		{"GET", "/v1/market/{id}", s.marketEntry},
		{"GET", "/v1/market/{id}/bundle", s.marketBundle},
		{"POST", "/v1/market/{id}/predict", s.predictMetered},
		{"GET", "/ledger/checkpoint", s.ledgerCheckpoint},
		{"GET", "/ledger/tile/{path...}", s.ledgerTile},
		{"GET", "/v1/ledger/statement", s.ledgerStatement},
		{"POST", "/v1/market/{id}/price", s.setPrice},
		{"GET", "/v1/tasks/{id}/teams/{team}/shares", s.teamShares},
		{"POST", "/v1/tasks/{id}/teams/{team}/shares", s.agreeShares},
		{"GET", "/v1/market/trust", s.trustList},
		{"POST", "/v1/market/trust", s.trustAdd},
		{"DELETE", "/v1/market/trust/{did}", s.trustRemove},
		{"GET", "/v1/market/trust/log", s.trustLog},
		{"GET", "/v1/market/issuers", s.signedIssuers},

		{"POST", "/mcp", s.mcp},
		{"GET", "/mcp", s.mcp},
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, api.Health{Status: "ok", Queue: s.e.Queue()})
}

// hostInfo is who issues this server's credentials and where its status
// list is.
func (s *Server) hostInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, api.HostInfo{DID: s.e.HostDID(), StatusList: s.e.StatusListURL(), BBSDID: s.e.HostBBSDID()})
}
