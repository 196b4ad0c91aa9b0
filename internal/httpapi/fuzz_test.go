package httpapi_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/market"
)

// FuzzReadBundleTar feeds untrusted archives to ReadBundleTar: it must not
// panic, must refuse with ErrBadRequest (a *BundleError included), and
// must return every member it accepts byte for byte.
func FuzzReadBundleTar(f *testing.F) {
	var good bytes.Buffer
	tw := tar.NewWriter(&good)
	for _, m := range [][2]string{{market.BundleModule, "\x00asm"}, {market.BundleCredential, "{}"}, {market.BundleCard, "{}"}} {
		tw.WriteHeader(&tar.Header{Name: m[0], Mode: 0o644, Size: int64(len(m[1])), Typeflag: tar.TypeReg})
		tw.Write([]byte(m[1]))
	}
	tw.Close()
	f.Add(good.Bytes())
	f.Add([]byte("not a tar"))
	f.Add(good.Bytes()[:600])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		b, err := market.ReadBundleTar(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, engine.ErrBadRequest) {
				t.Errorf("refusal %v does not wrap ErrBadRequest", err)
			}
			return
		}
		if b.Module == nil || b.Credential == nil || b.Card == nil {
			t.Errorf("accepted a bundle without a required member: %+v", b)
		}
	})
}

// FuzzUploadParts feeds untrusted multipart bodies to the upload decoder:
// it must not panic, and a module it accepts is one of the body's bytes.
func FuzzUploadParts(f *testing.F) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary("xyz")
	w, _ := mw.CreateFormFile("module", "m.wasm")
	w.Write([]byte("\x00asm\x01\x00\x00\x00"))
	w, _ = mw.CreateFormField("statement")
	w.Write([]byte(`{"v":1}`))
	mw.Close()
	f.Add(b.Bytes())
	f.Add([]byte("--xyz\r\n\r\n--xyz--"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 64<<10 {
			return
		}
		r, _ := http.NewRequest("POST", "/v1/tasks/t/submissions", nil)
		r.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
		module, _, err := httpapi.UploadParts(r, body)
		if err == nil && module == nil {
			t.Error("accepted an upload without a module")
		}
	})
}
