// Cross-implementation check of verdict's bbs-2023 model credentials
// against Digital Bazaar's implementation (run by interop_test.go).
//
//   node interop.mjs verify  DERIVED.json CONTEXT.jsonld  -> verifies a derived credential made by verdict,
//                                                           then each revealed subject value changed must fail
//   node interop.mjs derive  BASE.json CONTEXT.jsonld POINTER...
//                                                        -> prints a derived credential made here
//
// The document loader is static: the VC 2.0 context (from @digitalbazaar/vc),
// verdict's context (the file given) and did:key documents built from the
// key itself. Any other URL is an error: nothing is fetched.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {
  createDiscloseCryptosuite, createVerifyCryptosuite
} from '@digitalbazaar/bbs-2023-cryptosuite';

const {AssertionProofPurpose} = jsigs.purposes;
const [mode, file, contextFile, ...pointers] = process.argv.slice(2);
const verdictContext = JSON.parse(readFileSync(contextFile, 'utf8'));
const VC2 = 'https://www.w3.org/ns/credentials/v2';

function didDocument(did) {
  const mb = did.slice('did:key:'.length);
  const vm = {id: `${did}#${mb}`, type: 'Multikey', controller: did, publicKeyMultibase: mb};
  return {vm, doc: {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did, verificationMethod: [vm], assertionMethod: [vm.id]
  }};
}

async function documentLoader(url) {
  if(url === 'https://verdict.dev/credentials/v1') {
    return {contextUrl: null, documentUrl: url, document: verdictContext};
  }
  if(url === VC2) {
    return vc.defaultDocumentLoader(url);
  }
  if(url.startsWith('did:key:zUC7')) {
    const [did, fragment] = url.split('#');
    const {vm, doc} = didDocument(did);
    const document = fragment ?
      {'@context': 'https://w3id.org/security/multikey/v1', ...vm} : doc;
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`static document loader: ${url} is not served (no network access)`);
}

// The issuer is the host's Ed25519 did:key and the proof is by its BBS
// key, so the check is that the proof's key is the one the test names
// (BBS_KEY), not vc's CredentialIssuancePurpose (issuer == controller).
function purpose() {
  const controller = process.env.BBS_KEY;
  const {doc} = didDocument(controller);
  return new AssertionProofPurpose({controller: doc});
}

async function verify(credential) {
  const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
  return vc.verifyCredential({credential, suite, documentLoader, purpose: purpose(), checkStatus: async () => ({verified: true})});
}

function scalars(v, path, out) {
  if(Array.isArray(v)) {
    v.forEach((e, i) => scalars(e, `${path}/${i}`, out));
  } else if(v !== null && typeof v === 'object') {
    for(const [k, e] of Object.entries(v)) {
      if(k !== 'id' && k !== 'type') {
        scalars(e, `${path}/${k}`, out);
      }
    }
  } else {
    out.push(path);
  }
  return out;
}

function changed(doc, pointer) {
  const copy = structuredClone(doc);
  const parts = pointer.split('/').slice(1);
  let cur = copy;
  for(const p of parts.slice(0, -1)) {
    cur = cur[p];
  }
  const last = parts.at(-1);
  const v = cur[last];
  cur[last] = typeof v === 'string' ? v + 'x' : typeof v === 'number' ? v + 1 : !v;
  return copy;
}

const doc = JSON.parse(readFileSync(file, 'utf8'));
if(mode === 'verify') {
  const result = await verify(doc);
  if(!result.verified) {
    console.error(JSON.stringify(result, (k, v) => v instanceof Error ? {message: v.message, stack: v.stack} : v, 2));
    process.exit(1);
  }
  const tampered = scalars(doc.credentialSubject, '/credentialSubject', []);
  if(tampered.length === 0) {
    console.error('nothing revealed to tamper with');
    process.exit(1);
  }
  for(const p of tampered) {
    const r = await verify(changed(doc, p));
    if(r.verified) {
      console.error(`changed ${p}: still verified`);
      process.exit(1);
    }
  }
  console.log(JSON.stringify({verified: true, tampered}));
} else if(mode === 'derive') {
  const suite = new DataIntegrityProof({cryptosuite: createDiscloseCryptosuite({selectivePointers: pointers})});
  const derived = await jsigs.derive(doc, {suite, purpose: purpose(), documentLoader});
  console.log(JSON.stringify(derived, null, 2));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
