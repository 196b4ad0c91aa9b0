package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestHiddenCredentialPages: once ada hides her credential, a visitor's
// (and bob's) credential, model and marketplace pages name neither her
// DID nor her display name, the credential still verifies (its derived
// form, against the host's BBS key and status list) and shows its
// revocation; ada and the host still see her name.
func TestHiddenCredentialPages(t *testing.T) {
	s, _ := newLongSite(t)
	srv := httptest.NewServer(New(s.e, Config{Viewer: testViewer}))
	defer srv.Close()
	creds, err := s.e.Credentials(longTask)
	if err != nil {
		t.Fatal(err)
	}
	var ada *engine.Credential
	for i := range creds {
		if creds[i].Author == didAda {
			ada = &creds[i]
		}
	}
	if ada == nil {
		t.Fatal("ada has no credential")
	}
	if _, err := s.e.HideCredential(ada.ID, []string{"/credentialSubject/task/metric"}); err != nil {
		t.Fatal(err)
	}
	id := engine.ShortID(ada.ID)
	secrets := []string{didAda, strings.TrimPrefix(didAda, "did:key:"), nameAda, trunc(nameAda, maxName)}
	pages := []string{"/credentials/" + id, "/market/" + id, "/market"}
	for _, who := range []string{"", didBob} {
		for _, p := range pages {
			t.Run("Visitor"+p, func(t *testing.T) {
				page := get(t, srv, p, who, http.StatusOK)
				lacks(t, p, page, secrets...)
			})
		}
		page := get(t, srv, "/credentials/"+id, who, http.StatusOK)
		contains(t, "hidden credential", page, `badge good">verified`, "bbs-2023 derived proof verifies", "not disclosed", ada.Model)
		page = get(t, srv, "/tasks/"+longTask, who, http.StatusOK)
		contains(t, "task page", page, `href="/credentials/`+strings.TrimPrefix(ada.ID, "urn:uuid:")+`">author not disclosed`)
		// A search by her DID does not find the model she hid.
		page = get(t, srv, "/market?q="+didAda, who, http.StatusOK)
		lacks(t, "a search by the author", page, `href="/market/`+strings.TrimPrefix(ada.ID, "urn:uuid:")+`"`)
	}
	for _, who := range []string{didAda, "host"} {
		page := get(t, srv, "/credentials/"+id, who, http.StatusOK)
		contains(t, "the author's or host's credential page", page, `<code class="hash">`+didAda+`</code>`)
		contains(t, "the author's or host's model page", get(t, srv, "/market/"+id, who, http.StatusOK), `<code class="hash">`+didAda+`</code>`)
		contains(t, "the author's or host's search by her DID", get(t, srv, "/market?q="+didAda, who, http.StatusOK), `href="/market/`+strings.TrimPrefix(ada.ID, "urn:uuid:")+`"`)
	}
	if _, err := s.e.Revoke(ada.ID, "by "+nameAda); err != nil {
		t.Fatal(err)
	}
	page := get(t, srv, "/credentials/"+id, "", http.StatusOK)
	contains(t, "revoked hidden credential", page, "revoked")
	lacks(t, "revoked hidden credential", page, secrets...)
}
