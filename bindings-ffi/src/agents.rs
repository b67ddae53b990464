//! Agents: create, get, assign and unassign numbers, delete, list.

use super::*;

/// Create an agent.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_create_agent(
    registry: *const sipcreds_registry,
    org: *const c_char,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let name = unsafe { text(name, "name")? };
        Ok(json_text(&reg.create_agent(org, name)?.to_json()))
    })
}

/// One agent.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_get_agent(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
        Ok(json_text(&reg.get_agent(org, id)?.to_json()))
    })
}

/// Let an agent use a phone number (which must exist).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_assign_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    agent_id: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let agent_id = unsafe { text(agent_id, "agent_id")? };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number")? };
        Ok(json_text(
            &reg.assign_number(org, agent_id, number)?.to_json(),
        ))
    })
}

/// Stop an agent using a phone number.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_unassign_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    agent_id: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let agent_id = unsafe { text(agent_id, "agent_id")? };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number")? };
        Ok(json_text(
            &reg.unassign_number(org, agent_id, number)?.to_json(),
        ))
    })
}

/// Delete an agent (its numbers stay).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_delete_agent(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
        Ok(json_text(&reg.delete_agent(org, id)?.to_json()))
    })
}

/// The org's agents, in creation order.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_agents(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        Ok(list_json(&reg.list_agents(org)?, |a| a.to_json()))
    })
}

/// One page of the org's agents, in creation order (docs/registry.md): at most `limit` (1–1000) after `after`, the
/// previous page's `next` (NULL for the first page): `{"items": [...], "next": cursor | null}`.
/// A `limit` out of range or a malformed `after` is `SIPCREDS_INVALID_OPTION`.
///
/// # Safety
/// `registry` is a live handle; `org` is NUL-terminated; `after` is NULL or NUL-terminated;
/// `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_agents_page(
    registry: *const sipcreds_registry,
    org: *const c_char,
    limit: u32,
    after: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let page = unsafe { page_arg(limit, after)? };
        Ok(page_json(&reg.list_agents_page(org, &page)?, |a| {
            a.to_json()
        }))
    })
}
