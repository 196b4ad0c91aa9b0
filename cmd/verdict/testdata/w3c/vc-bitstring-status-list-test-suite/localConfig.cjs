// verdict's implementation manifest (vc-test-suite-implementations'
// "Testing locally"): the verdict serve at BASE_URL (https, its --base-url
// too, since the suite fetches the status lists), whose VC-API issuer is
// ISSUER_DID and whose host token is TOKEN (cmd/verdict/w3c_test.go sets
// all three). The issuer is asked for a revocation entry.
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
      options: {credentialStatus: {type: 'BitstringStatusListEntry', statusPurpose: 'revocation'}},
      tags: ['BitstringStatusList']
    }],
    verifiers: [{
      id: process.env.ISSUER_DID,
      endpoint: `${baseUrl}/credentials/verify`,
      tags: ['BitstringStatusList']
    }]
  }]
};
