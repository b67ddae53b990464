// Inputs that must fail `tsc --strict` (test/types.test.js runs tsc and checks each error): a
// misspelt key, a value of the wrong type, a transport that is not one, a patch key that does
// not exist. Never run.
import { Registry, validateCredential } from '../sipcreds'

const reg = new Registry()
void reg.createCredential('acme', { sever: 'sip.example.com' }) // E1: misspelt key
void reg.createCredential('acme', { server: 'sip.example.com', cpsLimit: 'five' }) // E2: not a number
validateCredential({ server: 'sip.example.com', transport: 'sctp' }) // E3: no such transport
void reg.updateCredential('acme', 'cred_x', { cpslimit: 5 }) // E4: no such field
