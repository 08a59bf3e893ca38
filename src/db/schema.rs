//! Diesel table definitions, written by hand to match both migration folders.
//! Only column types both backends share are used (no enums, arrays, JSON or
//! time zones), so one schema serves SQLite and PostgreSQL.

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
        token_version -> Integer,
        /// The region of an `operator` account (issue 14).
        region_code -> Nullable<Text>,
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

diesel::table! {
    households (id) {
        id -> Text,
        p3ke_family_id -> Nullable<Text>,
        dtks_id -> Nullable<Text>,
        kk_number -> Nullable<Text>,
        head_name -> Text,
        head_nik -> Nullable<Text>,
        head_nik_valid -> Bool,
        head_sex -> Nullable<Text>,
        head_birth_date -> Nullable<Date>,
        head_marital_status -> Nullable<Text>,
        head_occupation -> Nullable<Text>,
        head_employment_status -> Nullable<Text>,
        head_education -> Nullable<Text>,
        region_code -> Text,
        address -> Nullable<Text>,
        desil -> Nullable<Integer>,
        percentile -> Nullable<Integer>,
        verification_priority -> Nullable<Text>,
        dukcapil_match -> Nullable<Bool>,
        house_ownership -> Nullable<Text>,
        has_savings -> Nullable<Bool>,
        roof_material -> Nullable<Text>,
        roof_quality -> Nullable<Text>,
        wall_material -> Nullable<Text>,
        wall_quality -> Nullable<Text>,
        floor_material -> Nullable<Text>,
        floor_quality -> Nullable<Text>,
        lighting_source -> Nullable<Text>,
        power_capacity -> Nullable<Text>,
        cooking_fuel -> Nullable<Text>,
        drinking_water -> Nullable<Text>,
        toilet_facility -> Nullable<Text>,
        stunting_risk -> Nullable<Text>,
        receives_bpnt -> Bool,
        receives_bpum -> Bool,
        receives_bst -> Bool,
        receives_pkh -> Bool,
        receives_sembako -> Bool,
        receives_prakerja -> Bool,
        receives_kur -> Bool,
        data_year -> Nullable<Integer>,
        flags -> Text,
        status -> Text,
        needs_update -> Bool,
        content_hash -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        desil_national -> Nullable<Integer>,
        desil_province -> Nullable<Integer>,
        desil_regency -> Nullable<Integer>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        families_in_house -> Nullable<Integer>,
        pln_customer_id -> Nullable<Text>,
        pbi_national -> Nullable<Bool>,
        pbi_regional -> Nullable<Bool>,
        asset_counts -> Nullable<Text>,
        not_in_latest_snapshot -> Bool,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        household_id -> Text,
        p3ke_individual_id -> Nullable<Text>,
        nik -> Nullable<Text>,
        nik_valid -> Bool,
        name -> Text,
        sex -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        relation -> Nullable<Text>,
        marital_status -> Nullable<Text>,
        education -> Nullable<Text>,
        occupation -> Nullable<Text>,
        employment_status -> Nullable<Text>,
        dukcapil_match -> Nullable<Bool>,
        flags -> Text,
        content_hash -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        disability -> Nullable<Text>,
        has_disability -> Bool,
        chronic_illness -> Nullable<Text>,
        in_school -> Nullable<Bool>,
        working -> Nullable<Bool>,
    }
}

diesel::table! {
    deferred_indexes (name) {
        name -> Text,
        definition -> Text,
    }
}

diesel::table! {
    household_imports (id) {
        id -> Text,
        format -> Text,
        media_type -> Text,
        status -> Text,
        rows_total -> Integer,
        rows_done -> Integer,
        created -> Integer,
        updated -> Integer,
        unchanged -> Integer,
        rejected_count -> Integer,
        rejected -> Text,
        error -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        dataset_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// Snapshots of a source (P3KE, DTKS, DTSEN) and their hand-over (`db::datasets`).
    datasets (id) {
        id -> Text,
        source -> Text,
        snapshot_version -> Text,
        condition_date -> Nullable<Date>,
        received_on -> Nullable<Date>,
        bast_number -> Nullable<Text>,
        bast_type -> Nullable<Text>,
        onward_sharing -> Bool,
        expires_on -> Nullable<Date>,
        notes -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Which snapshots set a household's values.
    household_datasets (household_id, dataset_id) {
        household_id -> Text,
        dataset_id -> Text,
        linked_at -> Timestamp,
        kk_number -> Nullable<Text>,
    }
}

diesel::table! {
    /// What moved in a family per snapshot and per manual change (`db::household_changes`).
    household_changes (id) {
        id -> Text,
        household_id -> Text,
        kind -> Text,
        dataset_id -> Nullable<Text>,
        import_id -> Nullable<Text>,
        actor -> Text,
        changes -> Text,
        created_at -> Timestamp,
        /// The change request whose approval made this manual change.
        change_request_id -> Nullable<Text>,
    }
}

diesel::joinable!(household_datasets -> datasets (dataset_id));
diesel::joinable!(household_changes -> households (household_id));
diesel::joinable!(household_changes -> datasets (dataset_id));

diesel::table! {
    companies (id) {
        id -> Text,
        name -> Text,
        legal_form -> Text,
        nib -> Text,
        sector -> Text,
        address -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        working_area -> Text,
        active -> Bool,
        exposure_cap -> Nullable<Integer>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    exemption_letters (id) {
        id -> Text,
        company_id -> Text,
        cycle_year -> Integer,
        letter_number -> Text,
        letter_date -> Date,
        reason_category -> Text,
        reason -> Text,
        status -> Text,
        review_recommendation -> Nullable<Text>,
        review_note -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        document -> Nullable<Binary>,
        document_size -> Nullable<Integer>,
        document_uploaded_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(households -> regions (region_code));
diesel::joinable!(members -> households (household_id));
diesel::joinable!(exemption_letters -> companies (company_id));
diesel::joinable!(exemption_letters -> cycles (cycle_year));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    regions,
    cycles,
    audit_events,
    idempotency_keys,
    households,
    members,
    household_imports,
    household_changes,
    programs,
    program_targets,
    exposures,
    companies,
    exemption_letters,
    verifications,
    datasets,
    household_datasets,
    change_requests,
    verification_photos,
);

diesel::table! {
    programs (id) {
        id -> Text,
        cycle_year -> Integer,
        company_id -> Nullable<Text>,
        funding -> Text,
        opd_code -> Nullable<Text>,
        title -> Text,
        description -> Nullable<Text>,
        program_type -> Text,
        strategy -> Text,
        budget -> BigInt,
        target_regions -> Text,
        status -> Text,
        status_note -> Nullable<Text>,
        agreement_number -> Nullable<Text>,
        signed_by_company_on -> Nullable<Date>,
        signed_by_company -> Nullable<Text>,
        signed_by_opd_on -> Nullable<Date>,
        signed_by_opd -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    program_targets (id) {
        id -> Text,
        program_id -> Text,
        household_id -> Text,
        member_id -> Nullable<Text>,
        cycle_year -> Integer,
        program_type -> Text,
        active -> Bool,
        status -> Text,
        planned_value -> BigInt,
        realized_value -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Which households a company may read, per cycle (`db::exposure`).
    exposures (company_id, cycle_year, household_id) {
        company_id -> Text,
        cycle_year -> Integer,
        household_id -> Text,
        shown_at -> Nullable<Timestamp>,
        targeted_at -> Nullable<Timestamp>,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(program_targets -> programs (program_id));
diesel::joinable!(exposures -> companies (company_id));

diesel::table! {
    verifications (id) {
        id -> Text,
        program_id -> Text,
        target_id -> Text,
        household_id -> Text,
        visited_on -> Date,
        result -> Text,
        notes -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        verifier -> Text,
        override_reason -> Nullable<Text>,
        created_at -> Timestamp,
        /// The family's answer to sharing its by-name data with the
        /// program's company: NULL not asked (`db::exposure`, the consent gate).
        consent_to_share -> Nullable<Bool>,
        // --- issue 14, field batch (migration 000012) ---
        /// The device's own id of the visit, sent with a batch: a resend by
        /// the same account is recognised by it (unique with `verifier`).
        client_id -> Nullable<Text>,
        /// When the device recorded the visit (batch items only).
        recorded_at -> Nullable<Timestamp>,
    }
}

// --- issue 14, photos of visits (migration 000012) ---
diesel::table! {
    /// Metadata of a visit's photo; the bytes are in the object store under `object_key`.
    verification_photos (id) {
        id -> Text,
        verification_id -> Text,
        content_type -> Text,
        size_bytes -> Integer,
        sha256 -> Text,
        object_key -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(verification_photos -> verifications (verification_id));

diesel::joinable!(verifications -> programs (program_id));
diesel::joinable!(verifications -> program_targets (target_id));
diesel::joinable!(program_targets -> households (household_id));
diesel::joinable!(programs -> companies (company_id));

// Events and webhooks (migration 000014_events; db::events, db::webhooks).
diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        company_id -> Nullable<Text>,
        opd_code -> Nullable<Text>,
        data -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        company_id -> Nullable<Text>,
        created_by -> Text,
        failure_count -> Integer,
        last_success_at -> Nullable<Timestamp>,
        last_failure_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_seq -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> events (event_seq));
diesel::allow_tables_to_appear_in_same_query!(events, webhooks, webhook_deliveries);

// ------------------------------------------------ change requests (issue 14)

diesel::table! {
    /// Requests to change the registry from the field (`db::change_requests`).
    change_requests (id) {
        id -> Text,
        household_id -> Text,
        change_type -> Text,
        payload -> Text,
        reason -> Text,
        status -> Text,
        submitted_by -> Text,
        submitted_role -> Text,
        verification_id -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        applied_region_code -> Nullable<Text>,
        applied_kk_number -> Nullable<Text>,
        applied_nik -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(change_requests -> households (household_id));

// ------------------------------------------------------ deliveries (issue 15)

diesel::table! {
    /// What reached a target of a running program (`db::deliveries`).
    deliveries (id) {
        id -> Text,
        program_id -> Text,
        target_id -> Text,
        delivered_on -> Date,
        item -> Text,
        quantity -> Double,
        unit -> Text,
        value -> BigInt,
        handover_number -> Nullable<Text>,
        notes -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        recorded_by -> Text,
        confirmed_on -> Nullable<Date>,
        confirmed_by -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Metadata of a delivery's evidence; the bytes are in the object store under `object_key`.
    delivery_evidence (id) {
        id -> Text,
        delivery_id -> Text,
        content_type -> Text,
        size_bytes -> Integer,
        sha256 -> Text,
        object_key -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(delivery_evidence -> deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(deliveries, delivery_evidence);

// ------------------------------------------ realisation reports (issue 15)

diesel::table! {
    /// A company's periodic TJSL report; figures frozen at submission (`db::realisation`).
    realisation_reports (id) {
        id -> Text,
        company_id -> Text,
        cycle_year -> Integer,
        period -> Text,
        status -> Text,
        notes -> Nullable<Text>,
        planned_budget -> Nullable<BigInt>,
        realised_value -> Nullable<BigInt>,
        households_planned -> Nullable<BigInt>,
        households_served -> Nullable<BigInt>,
        desa_reached -> Nullable<BigInt>,
        programs -> Nullable<Text>,
        submitted_on -> Nullable<Date>,
        submitted_by -> Nullable<Text>,
        reviewed_on -> Nullable<Date>,
        reviewed_by -> Nullable<Text>,
        review_note -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(realisation_reports -> companies (company_id));
diesel::allow_tables_to_appear_in_same_query!(realisation_reports, companies);

// ------------------------------------------- household tallies (issue 17)

diesel::table! {
    /// Families per region, desil (0: none) and status, kept by triggers on
    /// `households` (migration `000022_household_tallies`).
    household_tallies (region_code, desil, status) {
        region_code -> Text,
        desil -> Integer,
        status -> Text,
        families -> BigInt,
    }
}
