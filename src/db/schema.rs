//! Diesel table definitions, written by hand to match both migration folders.
//! Only column types both backends share are used (see STACK.md).

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        company_id -> Nullable<Text>,
        opd_code -> Nullable<Text>,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    regions (code) {
        code -> Text,
        code10 -> Text,
        level -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
        old_code -> Nullable<Text>,
        old_name -> Nullable<Text>,
    }
}

diesel::table! {
    cycles (year) {
        year -> Integer,
        proposals_close -> Date,
        verification_start -> Date,
        verification_end -> Date,
        agreement_deadline -> Date,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        role -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (actor, idem_key) {
        actor -> Text,
        idem_key -> Text,
        method -> Text,
        path -> Text,
        body_hash -> Text,
        status -> Nullable<Integer>,
        response_body -> Nullable<Binary>,
        response_headers -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    regions,
    cycles,
    audit_events,
    idempotency_keys
);
