/*!
 * Copyright (c) 2022-2024 Digital Bazaar, Inc.
 * SPDX-License-Identifier: BSD-3-Clause
 */
export const validVc = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  id: 'urn:uuid:86294362-4254-4f36-854f-3952fe42555d',
  type: ['VerifiableCredential'],
  credentialSubject: {
    id: 'did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b',
    name: 'ExampleClaim'
  }
};
