//! The registry conformance suite on the in-memory backend.
sipcreds_conformance::registry_conformance!(sipcreds::Registry::in_memory);

mod storage {
    fn fresh_store() -> std::sync::Arc<dyn sipcreds::Storage> {
        std::sync::Arc::new(sipcreds::MemoryStore::new())
    }
    sipcreds_conformance::storage_conformance!(fresh_store);
}
