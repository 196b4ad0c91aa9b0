package bbs2023

import _ "embed"

// The second W3C example (prc) uses the citizenship v4rc1 context; it is
// served to the tests only (testdata/README.md).
//
//go:embed testdata/contexts/citizenship-v4rc1.jsonld
var citizenshipV4rc1 []byte

func init() {
	contexts["https://w3id.org/citizenship/v4rc1"] = citizenshipV4rc1
}
