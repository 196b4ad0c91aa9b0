// verdict's implementation manifest (vc-test-suite-implementations'
// "Testing locally"): the one implementation tested is the verdict serve
// at BASE_URL, whose VC-API issuer is ISSUER_DID and whose host token is
// TOKEN (cmd/verdict/w3c_test.go sets all three).
const baseUrl = process.env.BASE_URL;
module.exports = {
  settings: {enableInteropTests: false, testAllImplementations: false},
  implementations: [{
    name: 'verdict',
    implementation: 'verdict',
    issuers: [{
      id: process.env.ISSUER_DID,
      endpoint: `${baseUrl}/credentials/issue`,
      headers: {Authorization: `Bearer ${process.env.TOKEN}`},
      supports: {vc: ['2.0']},
      tags: ['eddsa-jcs-2022', 'localhost']
    }],
    verifiers: [{
      id: process.env.ISSUER_DID,
      endpoint: `${baseUrl}/credentials/verify`,
      supports: {vc: ['2.0']},
      tags: ['eddsa-jcs-2022', 'localhost']
    }]
  }]
};
