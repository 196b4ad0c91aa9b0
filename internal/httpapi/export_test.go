package httpapi

// Routes lists s's routes as "METHOD /path", for TestOpenAPIMatchesRoutes.
func Routes(s *Server) []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// UploadParts is uploadParts, for FuzzUploadParts.
var UploadParts = uploadParts
