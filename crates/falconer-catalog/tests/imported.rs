//! Importing a field list exported by `falco --list --format json`.

use falconer_catalog::{catalog, FieldScope, FieldType, ImportedCatalog, ResolvedArg};

fn fixture() -> std::sync::Arc<ImportedCatalog> {
    let text = include_str!("data/falco-list.json");
    ImportedCatalog::from_falco_json(text).expect("fixture imports")
}

#[test]
fn only_unknown_fields_are_added_and_sources_are_listed() {
    let imp = fixture();
    assert_eq!(imp.total(), 6);
    assert_eq!(imp.added(), 5, "evt.num is ours already");
    assert_eq!(imp.sources(), ["syscall", "tickets"]);
    let names: Vec<&str> = imp.fields_for("tickets").map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "ticket.id",
            "ticket.owner",
            "ticket.labels",
            "ticket.field",
            "ticket.origin_ip"
        ]
    );
    assert_eq!(imp.fields_for("syscall").count(), 0);
}

#[test]
fn the_same_text_gives_the_same_catalog() {
    assert!(std::sync::Arc::ptr_eq(&fixture(), &fixture()));
}

#[test]
fn imported_fields_resolve_in_their_source_only() {
    let imp = fixture();
    let scope = FieldScope::new("tickets", &[]).with_imported(Some(&imp));
    let r = catalog()
        .resolve_text("ticket.owner", &scope)
        .expect("resolves");
    assert_eq!(r.ty, FieldType::Charbuf);
    assert!(!r.is_list);
    let r = catalog()
        .resolve_text("ticket.labels[2]", &scope)
        .expect("index");
    assert!(r.is_list);
    assert_eq!(
        r.arg,
        ResolvedArg::Plugin {
            raw: "2".into(),
            index: Some(2)
        }
    );
    let e = catalog()
        .resolve_text("ticket.labels[x]", &scope)
        .unwrap_err();
    assert!(
        !e.is_unknown(),
        "a bad index is an argument error: {}",
        e.message()
    );
    let e = catalog().resolve_text("ticket.field", &scope).unwrap_err();
    assert!(
        e.message().contains("requires an argument"),
        "{}",
        e.message()
    );
    assert!(catalog()
        .resolve_text("ticket.field[severity]", &scope)
        .is_ok());
    let e = catalog()
        .resolve_text("ticket.owner[1]", &scope)
        .unwrap_err();
    assert!(e.message().contains("does not allow"), "{}", e.message());
    // Our own fields still come first.
    assert_eq!(
        catalog()
            .resolve_text("evt.num", &scope)
            .unwrap()
            .field
            .name,
        "evt.num"
    );
    // Not in another source, and not without the import.
    let syscall = FieldScope::new("syscall", &[]).with_imported(Some(&imp));
    assert!(catalog()
        .resolve_text("ticket.owner", &syscall)
        .unwrap_err()
        .is_unknown());
    let bare = FieldScope::new("tickets", &[]);
    assert!(catalog()
        .resolve_text("ticket.owner", &bare)
        .unwrap_err()
        .is_unknown());
    // Completion and suggestions see them.
    assert!(catalog()
        .fields_in_scope(&scope)
        .any(|f| f.name == "ticket.id"));
    assert_eq!(
        catalog().suggest_field("ticket.ownr", &scope),
        Some("ticket.owner")
    );
}

#[test]
fn bad_lists_are_refused_with_a_reason() {
    let e = ImportedCatalog::from_falco_json("{\"fieldclasses\": [\n  {\"name\": \"x\",,}\n]}")
        .unwrap_err();
    assert_eq!((e.line, e.column), (2, 16), "{e}");
    assert_eq!(e.to_string(), "2:16: not valid JSON: key must be a string");
    let e = ImportedCatalog::from_falco_json("{\"fieldnames\": [\"proc.name\"]}").unwrap_err();
    assert!(e.message.contains("names only"), "{e}");
    let e = ImportedCatalog::from_falco_json("[1, 2]").unwrap_err();
    assert!(e.message.contains("no \"name\""), "{e}");
    let e = ImportedCatalog::from_falco_json(
        "{\"fieldclasses\": [{\"name\": \"x\", \"fields\": [{\"name\": \"x.y\", \"type\": \"WEIRD\"}]}]}",
    )
    .unwrap_err();
    assert!(e.message.contains("unknown type 'WEIRD'"), "{e}");
    let e = ImportedCatalog::from_falco_json("{}").unwrap_err();
    assert!(e.message.contains("fieldclasses"), "{e}");
}
