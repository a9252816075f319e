use super::*;

fn demo_workspace() -> Workspace {
    Workspace::from_json(include_str!("../../assets/monitoring/demo.workspace.json"))
        .unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn the_shipped_demo_workspace_compares_one_subscription_on_three_demo_endpoints_with_no_key() {
    let workspace = demo_workspace();
    assert_eq!(workspace.endpoints.len(), 3);
    assert!(workspace.endpoints.iter().all(|endpoint| endpoint.url.starts_with("demo")));
    assert!(workspace.endpoints.iter().all(|endpoint| !endpoint.needs_key()));
    assert_eq!(workspace.subscriptions.len(), 1);
    let group = &workspace.groups[0];
    assert_eq!(workspace.group_endpoints(group).len(), 3);
    let keys =
        workspace.keys(Path::new("demo.workspace.json"), |_| None).unwrap_or_else(|err| panic!("{err}"));
    assert!(keys.is_empty());
}

#[test]
fn a_workspace_reads_back_what_it_wrote() {
    let workspace = demo_workspace();
    let again = Workspace::from_json(&workspace.to_json()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(again, workspace);
}

#[test]
fn a_pasted_key_is_never_written_and_the_url_keeps_its_placeholder() {
    let mut workspace = Workspace::default();
    workspace.endpoints.push(WorkspaceEndpoint {
        name: "helius".into(),
        url: "wss://mainnet.helius-rpc.com/?api-key=0f3a9c2e-5b7d-4e1a-9c3b-7d2e4f6a8b1c".into(),
        rpc_url: "https://eth-mainnet.g.alchemy.com/v2/AbCdEf0123456789xyzKEY".into(),
        headers: vec![("Authorization".into(), "Bearer sk_live_51HxYzAbCdEf0123".into())],
        backfill: true,
    });
    let text = workspace.to_json();
    for secret in
        ["0f3a9c2e-5b7d-4e1a-9c3b-7d2e4f6a8b1c", "AbCdEf0123456789xyzKEY", "sk_live_51HxYzAbCdEf0123"]
    {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(text.contains("api-key={api_key}"), "{text}");
    let read = Workspace::from_json(&text).unwrap_or_else(|err| panic!("{err}"));
    assert!(read.endpoints[0].needs_key());
}

#[test]
fn a_workspace_with_a_key_in_clear_is_refused_and_says_where_the_key_goes() {
    let text = r#"{"format":1,"endpoints":[{"name":"alchemy","url":"wss://eth-mainnet.g.alchemy.com/v2/AbCdEf0123456789xyzKEY"}]}"#;
    let message = Workspace::from_json(text).err().map(|err| err.to_string()).unwrap_or_default();
    assert!(message.contains("{api_key}") && message.contains("SUBSCOPE_KEY_ALCHEMY"), "{message}");
    assert!(!message.contains("AbCdEf0123456789xyzKEY"), "{message}");
}

#[test]
fn another_format_and_broken_references_are_named() {
    let refused =
        |text: &str| Workspace::from_json(text).err().map(|err| err.to_string()).unwrap_or_default();
    assert!(refused(r#"{"format":2}"#).starts_with("format 2 is not known"));
    assert!(refused(r#"{"endpoints":[]}"#).starts_with("format 0 is not known"));
    assert!(refused(r#"{"format":1,"colour":"red"}"#).contains("unknown field `colour`"));
    let base = r#""endpoints":[{"name":"a","url":"demo"},{"name":"b","url":"demo?delay_ms=5"}]"#;
    let sub = r#"{"name":"slots","method":"slotSubscribe"}"#;
    assert_eq!(
        refused(&format!(
            r#"{{"format":1,{base},"subscriptions":[{sub}],"groups":[{{"name":"g","subscription":"nope"}}]}}"#
        )),
        "group g names no subscription nope"
    );
    assert_eq!(
        refused(&format!(
            r#"{{"format":1,{base},"subscriptions":[{{"name":"s","method":"slotSubscribe","endpoints":["c"]}}]}}"#
        )),
        "subscription s names no endpoint c"
    );
    assert_eq!(
        refused(&format!(r#"{{"format":1,{base},"subscriptions":[{sub},{sub}]}}"#)),
        "two of the subscriptions are named slots"
    );
    assert!(
        refused(&format!(r#"{{"format":1,{base},"subscriptions":[{{"name":"b","method":"getSlot"}}]}}"#))
            .contains("one-off request")
    );
    let twice = format!(
        r#"{{"format":1,{base},"subscriptions":[{sub}],"groups":[{{"name":"g","subscription":"slots"}},{{"name":"h","subscription":"slots","endpoints":["b"]}}]}}"#
    );
    assert_eq!(refused(&twice), "group h: slots on b is compared in another group already");
}

#[test]
fn keys_come_from_the_environment_first_then_from_a_private_key_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let text = r#"{"format":1,"key_file":"keys.env","endpoints":[
        {"name":"helius-eu","url":"wss://mainnet.helius-rpc.com/?api-key={api_key}"},
        {"name":"alchemy","url":"wss://eth-mainnet.g.alchemy.com/v2/{api_key}"},
        {"name":"own","url":"ws://127.0.0.1:8900"}]}"#;
    let workspace = Workspace::from_json(text).unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("w.json");
    let env = |name: &str| (name == "SUBSCOPE_KEY_HELIUS_EU").then(|| "from-env".to_owned());

    // No key file yet: alchemy's key is missing, and the message names the variable.
    let missing = workspace.keys(&path, env).err().map(|err| err.to_string()).unwrap_or_default();
    assert!(missing.contains("keys.env"), "{missing}");

    let key_file = dir.path().join("keys.env");
    std::fs::write(&key_file, "# keys\nalchemy = from-file\nhelius-eu=not-used\n")
        .unwrap_or_else(|err| panic!("{err}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|err| panic!("{err}"));
        let open = workspace.keys(&path, env).err().map(|err| err.to_string()).unwrap_or_default();
        assert!(open.contains("chmod 600") && open.contains("644"), "{open}");
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|err| panic!("{err}"));
    }
    let keys = workspace.keys(&path, env).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(keys.get("helius-eu").map(Secret::expose), Some("from-env"));
    assert_eq!(keys.get("alchemy").map(Secret::expose), Some("from-file"));
    assert!(!keys.contains_key("own"), "needs no key");

    let no_file = Workspace::from_json(&text.replace(r#""key_file":"keys.env","#, ""))
        .unwrap_or_else(|err| panic!("{err}"));
    let message = no_file.keys(&path, env).err().map(|err| err.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "endpoint alchemy needs a key: set SUBSCOPE_KEY_ALCHEMY or add `alchemy=…` to the key file"
    );
}

#[test]
fn the_windows_endpoints_become_a_workspace_with_a_group_per_shared_subscription() {
    let slots = crate::catalog::Draft::for_method("slotSubscribe").unwrap_or_else(|| panic!("slotSubscribe"));
    let saved = vec![
        SavedEndpoint {
            id: 1,
            label: "Helius".into(),
            url: "wss://mainnet.helius-rpc.com/?api-key={api_key}".into(),
            subscriptions: vec![slots.clone()],
            ..SavedEndpoint::default()
        },
        SavedEndpoint {
            id: 2,
            label: "Helius".into(),
            url: "demo".into(),
            subscriptions: vec![slots],
            ..SavedEndpoint::default()
        },
        SavedEndpoint {
            id: 3,
            label: String::new(),
            url: "demo?delay_ms=300".into(),
            ..SavedEndpoint::default()
        },
    ];
    let workspace = Workspace::from_saved_endpoints(&saved);
    let names: Vec<&str> = workspace.endpoints.iter().map(|endpoint| endpoint.name.as_str()).collect();
    assert_eq!(names, ["Helius", "Helius-2", "endpoint-3"]);
    assert_eq!(workspace.subscriptions.len(), 1);
    assert_eq!(workspace.subscriptions[0].method, "slotSubscribe");
    assert_eq!(workspace.subscriptions[0].endpoints, ["Helius", "Helius-2"]);
    assert_eq!(workspace.group_endpoints(&workspace.groups[0]), ["Helius", "Helius-2"]);
    workspace.check().unwrap_or_else(|err| panic!("{err}"));

    let back = workspace.to_saved_endpoints(10);
    assert_eq!(back[1].label, "Helius-2");
    assert_eq!(back[1].id, 11);
    assert_eq!(workspace.subscriptions_on("endpoint-3").count(), 0);
    assert_eq!(workspace.subscriptions_on("Helius").count(), 1);
}

#[test]
fn save_writes_the_file_whole() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("w.workspace.json");
    let workspace = demo_workspace();
    workspace.save(&path).unwrap_or_else(|err| panic!("{err}"));
    workspace.save(&path).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(Workspace::load(&path).unwrap_or_else(|err| panic!("{err}")), workspace);
    assert_eq!(key_env_name("eu-west.1"), "SUBSCOPE_KEY_EU_WEST_1");
}

#[test]
fn the_window_saves_every_live_subscription_typed_or_from_a_form_and_no_key() {
    use crate::backend::Backend;
    use crate::capture::CaptureLimits;
    use crate::session::{Endpoint, Session};

    let (backend, _script) = Backend::scripted(CaptureLimits::default(), std::sync::Arc::new(|| {}));
    let mut session = Session::new(backend, CaptureLimits::default(), &[]);
    let url = "wss://mainnet.helius-rpc.com/?api-key={api_key}";
    session.add_endpoint(Endpoint {
        id: 1,
        label: "helius".into(),
        url: url.into(),
        api_key: "k3y-in-the-field".into(),
        ..Endpoint::default()
    });
    session.add_endpoint(Endpoint { id: 2, label: "demo".into(), url: "demo".into(), ..Endpoint::default() });
    session.add_endpoint(Endpoint {
        id: 3,
        label: "replay".into(),
        url: "ws://127.0.0.1:9/".into(),
        transient: true,
        ..Endpoint::default()
    });
    let helius = session.connect(0).unwrap_or_else(|err| panic!("{err}"));
    let demo = session.connect(1).unwrap_or_else(|err| panic!("{err}"));
    let logs = Some(serde_json::json!(["all"]));
    for conn in [helius, demo] {
        session.subscribe(conn, "slotSubscribe".into(), None, None).unwrap_or_else(|err| panic!("{err}"));
    }
    session.subscribe(demo, "logsSubscribe".into(), logs.clone(), None).unwrap_or_else(|err| panic!("{err}"));

    let workspace = Workspace::from_session(&session);
    let names: Vec<&str> = workspace.endpoints.iter().map(|endpoint| endpoint.name.as_str()).collect();
    assert_eq!(names, ["helius", "demo"], "a replay made for this run is not saved");
    assert_eq!(workspace.subscriptions.len(), 2);
    assert_eq!(workspace.subscriptions[0].method, "slotSubscribe");
    assert!(workspace.subscriptions[0].endpoints.is_empty(), "on every endpoint");
    assert_eq!(workspace.subscriptions[1].params, logs);
    assert_eq!(workspace.subscriptions[1].endpoints, ["demo"]);
    assert_eq!(workspace.groups.len(), 1, "slots are compared");
    let text = workspace.to_json();
    assert!(!text.contains("k3y-in-the-field"), "{text}");
    assert_eq!(Workspace::from_json(&text).unwrap_or_else(|err| panic!("{err}")), workspace);
}
