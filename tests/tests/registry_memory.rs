//! The registry conformance suite on the in-memory backend.
sipcreds_conformance::registry_conformance!(sipcreds::Registry::in_memory);
