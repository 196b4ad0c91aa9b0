// verdict's implementation manifest (vc-test-suite-implementations'
// "Testing locally"): the verdict serve at BASE_URL (https: the suite sends
// an endpoint's headers, the host token here, only over https), whose
// VC-API issuer is ISSUER_DID and whose host token is TOKEN
// (cmd/verdict/w3c_test.go sets all three).
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
      tags: ['vc2.0']
    }],
    verifiers: [{
      id: process.env.ISSUER_DID,
      endpoint: `${baseUrl}/credentials/verify`,
      tags: ['vc2.0']
    }]
  }]
};
