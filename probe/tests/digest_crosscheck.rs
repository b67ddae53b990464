//! Our digest against an independent implementation (`digest_auth`, HTTP digest of RFC
//! 2617/7616) on random inputs: every algorithm, `-sess`, qop auth and none.

use proptest::prelude::*;
use sipcreds_probe::digest::{Algorithm, Inputs, Qop, response};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~+/=-]{1,24}"
}

fn algorithm() -> impl Strategy<Value = (Algorithm, bool)> {
    (
        prop_oneof![
            Just(Algorithm::Md5),
            Just(Algorithm::Sha256),
            Just(Algorithm::Sha512_256)
        ],
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn agrees_with_digest_auth(
        user in "[a-z0-9._-]{1,16}",
        password in "[ -~]{0,24}",
        realm in "[a-z0-9.-]{1,24}",
        nonce in token(),
        cnonce in "[a-f0-9]{8,16}",
        host in "[a-z0-9.-]{1,20}",
        method in prop_oneof![Just("REGISTER"), Just("OPTIONS")],
        (alg, sess) in algorithm(),
        with_qop in any::<bool>(),
        nc in 1u32..5,
    ) {
        let uri = format!("sip:{host}");
        let header = format!(
            "Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm={}{}",
            alg.token(sess),
            if with_qop { ", qop=\"auth\"" } else { "" }
        );
        let mut prompt = digest_auth::parse(&header).unwrap();
        prompt.nc = nc - 1;
        let mut ctx = digest_auth::AuthContext::new_with_method(
            user.as_str(), password.as_str(), uri.as_str(), None::<&[u8]>,
            digest_auth::HttpMethod(method.into()),
        );
        ctx.set_custom_cnonce(cnonce.as_str());
        let theirs = prompt.respond(&ctx).unwrap();
        let ours = response(&Inputs {
            username: &user, realm: &realm, password: &password, method, uri: &uri,
            nonce: &nonce, cnonce: &cnonce, nc: theirs.nc,
            qop: if with_qop { Qop::Auth } else { Qop::None },
            algorithm: alg, sess, body: b"",
        });
        prop_assert_eq!(ours.as_str(), theirs.response.as_str(), "{}", format!("{:?}", header));
    }
}
