// @generated-style Diesel schema; keep in sync with migrations/ (`diesel print-schema`).

diesel::table! {
    carriers (id) {
        id -> Int8,
        code -> Text,
        name -> Text,
        tax_id -> Text,
        dgsfp_key -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        address -> Text,
        claims_phone -> Text,
        assistance_phone -> Text,
        email -> Text,
        notes -> Text,
    }
}

diesel::table! {
    lines_of_business (id) {
        id -> Int8,
        code -> Text,
        name -> Text,
        summary -> Text,
        position -> Int4,
        active -> Bool,
    }
}

diesel::table! {
    products (id) {
        id -> Int8,
        carrier_id -> Int8,
        line_id -> Int8,
        code -> Text,
        name -> Text,
        active -> Bool,
        cover_summary -> Text,
    }
}

diesel::table! {
    commission_rates (id) {
        id -> Int8,
        product_id -> Int8,
        effective_from -> Date,
        new_business_bp -> Int4,
        renewal_bp -> Int4,
        created_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    staff_users (id) {
        id -> Int8,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamptz>,
        totp_last_step -> Nullable<Int8>,
        agent_share_bp -> Int4,
        weekly_digest -> Bool,
    }
}

diesel::table! {
    analytics_digests (staff_id, week_start) {
        staff_id -> Int8,
        week_start -> Date,
        sent_at -> Timestamptz,
    }
}

diesel::table! {
    staff_recovery_codes (id) {
        id -> Int8,
        staff_id -> Int8,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    security_settings (id) {
        id -> Int4,
        require_two_factor -> Bool,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Int8>,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Text,
        user_id -> Nullable<Int8>,
        state -> Jsonb,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        id -> Int8,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        kind -> Text,
        client_user_id -> Nullable<Int8>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        succeeded -> Bool,
        attempted_at -> Timestamptz,
        device -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        occurred_at -> Timestamptz,
        actor_staff_id -> Nullable<Int8>,
        actor_label -> Text,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Int8>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        details -> Jsonb,
    }
}

diesel::table! {
    outbound_emails (id) {
        id -> Int8,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        claimed_by -> Nullable<Text>,
        list_unsubscribe -> Nullable<Text>,
        attachment_document_id -> Nullable<Int8>,
    }
}

diesel::table! {
    staff_tokens (token_hash) {
        token_hash -> Text,
        staff_id -> Int8,
        purpose -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    rate_limit_hits (id) {
        id -> Int8,
        bucket -> Text,
        key -> Text,
        hit_at -> Timestamptz,
    }
}

diesel::table! {
    customers (id) {
        id -> Int8,
        kind -> Text,
        tax_id -> Text,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        company_name -> Nullable<Text>,
        display_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        address_line -> Nullable<Text>,
        postcode -> Nullable<Text>,
        city -> Nullable<Text>,
        province -> Nullable<Text>,
        iban -> Nullable<Text>,
        segment -> Text,
        tags -> Array<Text>,
        owner_staff_id -> Nullable<Int8>,
        notes -> Text,
        merged_into_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        blocked_at -> Nullable<Timestamptz>,
        blocked_until -> Nullable<Date>,
    }
}

diesel::table! {
    customer_consents (id) {
        id -> Int8,
        customer_id -> Int8,
        purpose -> Text,
        granted -> Bool,
        text_version -> Text,
        source -> Text,
        recorded_at -> Timestamptz,
        recorded_by_staff_id -> Nullable<Int8>,
        text_id -> Nullable<Int8>,
    }
}

diesel::table! {
    interactions (id) {
        id -> Int8,
        customer_id -> Int8,
        kind -> Text,
        summary -> Text,
        occurred_at -> Timestamptz,
        staff_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    policies (id) {
        id -> Int8,
        customer_id -> Int8,
        carrier_id -> Int8,
        product_id -> Int8,
        line_id -> Int8,
        number -> Text,
        status -> Text,
        risk -> Jsonb,
        start_date -> Date,
        end_date -> Date,
        net_premium_cents -> Int8,
        total_premium_cents -> Int8,
        payment_frequency -> Text,
        agent_staff_id -> Nullable<Int8>,
        status_reason -> Nullable<Text>,
        status_changed_on -> Nullable<Date>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        sale_exemption -> Nullable<Text>,
    }
}

diesel::table! {
    policy_periods (id) {
        id -> Int8,
        policy_id -> Int8,
        start_date -> Date,
        end_date -> Date,
        net_premium_cents -> Int8,
        total_premium_cents -> Int8,
        created_at -> Timestamptz,
        created_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    policy_endorsements (id) {
        id -> Int8,
        policy_id -> Int8,
        effective_date -> Date,
        description -> Text,
        premium_change_cents -> Int8,
        created_at -> Timestamptz,
        created_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    claims (id) {
        id -> Int8,
        number -> Text,
        policy_id -> Int8,
        customer_id -> Int8,
        incident_date -> Date,
        kind -> Text,
        description -> Text,
        place -> Text,
        status -> Text,
        claimed_cents -> Nullable<Int8>,
        accepted_cents -> Nullable<Int8>,
        paid_cents -> Nullable<Int8>,
        handler_staff_id -> Nullable<Int8>,
        opened_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    claim_events (id) {
        id -> Int8,
        claim_id -> Int8,
        occurred_at -> Timestamptz,
        staff_id -> Nullable<Int8>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        note -> Text,
        visible_to_client -> Bool,
    }
}

diesel::table! {
    tasks (id) {
        id -> Int8,
        title -> Text,
        description -> Text,
        due_date -> Nullable<Date>,
        priority -> Text,
        status -> Text,
        assignee_staff_id -> Int8,
        entity_type -> Nullable<Text>,
        entity_id -> Nullable<Int8>,
        customer_id -> Nullable<Int8>,
        created_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    documents (id) {
        id -> Int8,
        entity_type -> Text,
        entity_id -> Int8,
        customer_id -> Nullable<Int8>,
        filename -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        visible_to_client -> Bool,
        uploaded_by_staff_id -> Nullable<Int8>,
        uploaded_at -> Timestamptz,
        kind -> Nullable<Text>,
        subject_key -> Nullable<Text>,
        series_id -> Int8,
        version -> Int4,
        superseded_at -> Nullable<Timestamptz>,
        template_version -> Nullable<Text>,
        version_note -> Nullable<Text>,
    }
}

diesel::table! {
    document_deliveries (id) {
        id -> Int8,
        document_id -> Int8,
        channel -> Text,
        to_address -> Text,
        outbox_id -> Nullable<Int8>,
        sent_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    document_blobs (document_id) {
        document_id -> Int8,
        bytes -> Bytea,
    }
}

diesel::table! {
    pending_uploads (token) {
        token -> Text,
        customer_id -> Int8,
        filename -> Text,
        bytes -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    form_submissions (token) {
        token -> Text,
        created_at -> Timestamptz,
        entity_type -> Nullable<Text>,
        entity_id -> Nullable<Int8>,
    }
}

diesel::table! {
    domain_events (id) {
        id -> Int8,
        kind -> Text,
        entity_type -> Text,
        entity_id -> Int8,
        payload -> Jsonb,
        created_at -> Timestamptz,
        processed_at -> Nullable<Timestamptz>,
        depth -> Int2,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        parked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    leads (id) {
        id -> Int8,
        full_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        postcode -> Nullable<Text>,
        tax_id -> Nullable<Text>,
        line_id -> Nullable<Int8>,
        source -> Text,
        campaign -> Nullable<Text>,
        utm_source -> Nullable<Text>,
        utm_medium -> Nullable<Text>,
        utm_campaign -> Nullable<Text>,
        utm_term -> Nullable<Text>,
        utm_content -> Nullable<Text>,
        referrer -> Nullable<Text>,
        landing_id -> Nullable<Int8>,
        landing_variant_id -> Nullable<Int8>,
        stage -> Text,
        lost_reason -> Nullable<Text>,
        score -> Int4,
        assigned_staff_id -> Nullable<Int8>,
        customer_id -> Nullable<Int8>,
        next_action_on -> Nullable<Date>,
        notes -> Text,
        first_contacted_at -> Nullable<Timestamptz>,
        converted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        possible_duplicate_of -> Nullable<Int8>,
        anonymised_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    lead_submissions (id) {
        id -> Int8,
        lead_id -> Int8,
        form_token -> Nullable<Text>,
        payload -> Jsonb,
        utm_source -> Nullable<Text>,
        utm_medium -> Nullable<Text>,
        utm_campaign -> Nullable<Text>,
        utm_term -> Nullable<Text>,
        utm_content -> Nullable<Text>,
        referrer -> Nullable<Text>,
        landing_id -> Nullable<Int8>,
        landing_variant_id -> Nullable<Int8>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    lead_consents (id) {
        id -> Int8,
        lead_id -> Int8,
        submission_id -> Nullable<Int8>,
        purpose -> Text,
        granted -> Bool,
        text_version -> Text,
        ip -> Nullable<Text>,
        recorded_at -> Timestamptz,
        text_id -> Nullable<Int8>,
    }
}

diesel::table! {
    lead_events (id) {
        id -> Int8,
        lead_id -> Int8,
        staff_id -> Nullable<Int8>,
        kind -> Text,
        channel -> Nullable<Text>,
        from_stage -> Nullable<Text>,
        to_stage -> Nullable<Text>,
        note -> Text,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    quotes (id) {
        id -> Int8,
        number -> Text,
        customer_id -> Nullable<Int8>,
        lead_id -> Nullable<Int8>,
        prospect_name -> Nullable<Text>,
        prospect_email -> Nullable<Text>,
        prospect_phone -> Nullable<Text>,
        line_id -> Int8,
        risk -> Jsonb,
        demands_and_needs -> Jsonb,
        status -> Text,
        valid_until -> Date,
        chosen_option_id -> Nullable<Int8>,
        policy_id -> Nullable<Int8>,
        source -> Text,
        agent_staff_id -> Nullable<Int8>,
        created_by_staff_id -> Nullable<Int8>,
        status_reason -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        decided_at -> Nullable<Timestamptz>,
        public_token_hash -> Nullable<Text>,
        public_token_expires_at -> Nullable<Timestamptz>,
        precontract_text_version -> Nullable<Text>,
        precontract_shown_at -> Nullable<Timestamptz>,
        notes -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        client_accepted_at -> Nullable<Timestamptz>,
        client_accepted_option_id -> Nullable<Int8>,
    }
}

diesel::table! {
    blocked_customer_data (customer_id) {
        customer_id -> Int8,
        request_id -> Nullable<Int8>,
        sealed -> Jsonb,
        blocked_at -> Timestamptz,
        blocked_until -> Date,
    }
}

diesel::table! {
    legal_texts (id) {
        id -> Int8,
        kind -> Text,
        version -> Text,
        body -> Text,
        sha256 -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    quote_sale_records (quote_id) {
        quote_id -> Int8,
        needs -> Jsonb,
        needs_recorded_at -> Nullable<Timestamptz>,
        needs_recorded_by -> Nullable<Text>,
        recommended_option_id -> Nullable<Int8>,
        advice_basis -> Text,
        precontract_text_id -> Nullable<Int8>,
        precontract_channel -> Nullable<Text>,
        precontract_delivered_at -> Nullable<Timestamptz>,
        precontract_proof -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    quote_options (id) {
        id -> Int8,
        quote_id -> Int8,
        carrier_id -> Int8,
        product_id -> Nullable<Int8>,
        coverage_level -> Text,
        coverage_summary -> Text,
        net_premium_cents -> Int8,
        total_premium_cents -> Int8,
        breakdown -> Jsonb,
        tariff_version_id -> Nullable<Int8>,
        fits_demands -> Bool,
        position -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    taxi_tariff_versions (id) {
        id -> Int8,
        carrier_id -> Int8,
        version -> Int4,
        status -> Text,
        rules -> Jsonb,
        notes -> Text,
        created_by_staff_id -> Nullable<Int8>,
        published_by_staff_id -> Nullable<Int8>,
        published_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    client_users (id) {
        id -> Int8,
        customer_id -> Int8,
        email -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        email_confirmed_at -> Nullable<Timestamptz>,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamptz>,
        totp_last_step -> Nullable<Int8>,
        invited_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
        pending_email -> Nullable<Text>,
        pending_email_requested_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    client_recovery_codes (id) {
        id -> Int8,
        client_user_id -> Int8,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    client_tokens (token_hash) {
        token_hash -> Text,
        client_user_id -> Int8,
        purpose -> Text,
        new_email -> Nullable<Text>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    client_sign_ins (id) {
        id -> Int8,
        client_user_id -> Int8,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        signed_in_at -> Timestamptz,
    }
}

diesel::table! {
    message_threads (id) {
        id -> Int8,
        customer_id -> Int8,
        subject -> Text,
        created_at -> Timestamptz,
        last_message_at -> Timestamptz,
        unread_by_client -> Int4,
        unread_by_staff -> Int4,
    }
}

diesel::table! {
    messages (id) {
        id -> Int8,
        thread_id -> Int8,
        customer_id -> Int8,
        author -> Text,
        staff_id -> Nullable<Int8>,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(client_users -> customers (customer_id));
diesel::joinable!(client_tokens -> client_users (client_user_id));
diesel::joinable!(client_recovery_codes -> client_users (client_user_id));
diesel::joinable!(client_sign_ins -> client_users (client_user_id));
diesel::joinable!(message_threads -> customers (customer_id));
diesel::joinable!(messages -> message_threads (thread_id));
diesel::joinable!(staff_tokens -> staff_users (staff_id));
diesel::joinable!(customer_consents -> customers (customer_id));
diesel::joinable!(interactions -> customers (customer_id));
diesel::joinable!(interactions -> staff_users (staff_id));
diesel::joinable!(policies -> customers (customer_id));
diesel::joinable!(policies -> carriers (carrier_id));
diesel::joinable!(policies -> products (product_id));
diesel::joinable!(policies -> lines_of_business (line_id));
diesel::joinable!(policy_periods -> policies (policy_id));
diesel::joinable!(policy_endorsements -> policies (policy_id));
diesel::joinable!(claims -> policies (policy_id));
diesel::joinable!(claims -> customers (customer_id));
diesel::joinable!(claim_events -> claims (claim_id));
diesel::joinable!(tasks -> customers (customer_id));
diesel::joinable!(documents -> customers (customer_id));
diesel::joinable!(document_blobs -> documents (document_id));
diesel::joinable!(document_deliveries -> documents (document_id));
diesel::joinable!(document_deliveries -> outbound_emails (outbox_id));
diesel::joinable!(pending_uploads -> customers (customer_id));
diesel::joinable!(products -> carriers (carrier_id));
diesel::joinable!(products -> lines_of_business (line_id));
diesel::joinable!(commission_rates -> products (product_id));
diesel::joinable!(commission_rates -> staff_users (created_by_staff_id));
diesel::joinable!(sessions -> staff_users (user_id));
diesel::joinable!(audit_log -> staff_users (actor_staff_id));
diesel::joinable!(staff_recovery_codes -> staff_users (staff_id));
diesel::joinable!(analytics_digests -> staff_users (staff_id));
diesel::joinable!(lead_submissions -> leads (lead_id));
diesel::joinable!(lead_consents -> leads (lead_id));
diesel::joinable!(lead_events -> leads (lead_id));
diesel::joinable!(leads -> lines_of_business (line_id));
diesel::joinable!(leads -> customers (customer_id));
diesel::joinable!(leads -> staff_users (assigned_staff_id));
diesel::joinable!(quotes -> lines_of_business (line_id));
diesel::joinable!(quotes -> leads (lead_id));
diesel::joinable!(quotes -> policies (policy_id));
diesel::joinable!(quote_options -> carriers (carrier_id));
diesel::joinable!(quote_options -> products (product_id));
diesel::joinable!(quote_options -> quotes (quote_id));
diesel::joinable!(quote_sale_records -> quotes (quote_id));
diesel::joinable!(quote_sale_records -> legal_texts (precontract_text_id));
diesel::joinable!(quotes -> customers (customer_id));
diesel::joinable!(taxi_tariff_versions -> carriers (carrier_id));
diesel::joinable!(quote_options -> taxi_tariff_versions (tariff_version_id));

diesel::table! {
    landings (id) {
        id -> Int8,
        slug -> Text,
        title -> Text,
        meta_description -> Text,
        line_id -> Nullable<Int8>,
        campaign -> Nullable<Text>,
        form_fields -> Jsonb,
        privacy_text -> Text,
        marketing_text -> Text,
        consent_version -> Text,
        published -> Bool,
        published_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        privacy_text_id -> Nullable<Int8>,
        marketing_text_id -> Nullable<Int8>,
    }
}

diesel::table! {
    landing_variants (id) {
        id -> Int8,
        landing_id -> Int8,
        name -> Text,
        weight -> Int4,
        blocks -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    landing_daily_stats (landing_variant_id, day) {
        landing_variant_id -> Int8,
        day -> Date,
        visits -> Int8,
        conversions -> Int8,
    }
}

diesel::table! {
    site_images (sha256) {
        sha256 -> Text,
        content_type -> Text,
        bytes -> Bytea,
        size_bytes -> Int4,
        uploaded_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    blog_posts (id) {
        id -> Int8,
        slug -> Text,
        title -> Text,
        summary -> Text,
        body_markdown -> Text,
        cover_url -> Nullable<Text>,
        published_on -> Nullable<Date>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    lead_agent_lines (line_id, staff_id) {
        staff_id -> Int8,
        line_id -> Int8,
    }
}

diesel::table! {
    lead_turns (pool, staff_id) {
        pool -> Text,
        staff_id -> Int8,
        last_assigned_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    landing_conversions_pending (id) {
        id -> Int8,
        landing_variant_id -> Int8,
        day -> Date,
    }
}

diesel::joinable!(landing_variants -> landings (landing_id));
diesel::joinable!(landing_daily_stats -> landing_variants (landing_variant_id));
diesel::joinable!(landings -> lines_of_business (line_id));
diesel::joinable!(lead_agent_lines -> staff_users (staff_id));
diesel::joinable!(lead_agent_lines -> lines_of_business (line_id));

diesel::table! {
    receipts (id) {
        id -> Int8,
        policy_id -> Int8,
        customer_id -> Int8,
        policy_period_id -> Nullable<Int8>,
        number -> Text,
        period_start -> Date,
        period_end -> Date,
        due_date -> Date,
        amount_cents -> Int8,
        net_cents -> Int8,
        status -> Text,
        collected_on -> Nullable<Date>,
        returned_on -> Nullable<Date>,
        return_reason -> Nullable<Text>,
        cancelled_on -> Nullable<Date>,
        cancel_reason -> Nullable<Text>,
        overdue_flagged_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        remittance_id -> Nullable<Int8>,
        mandate_id -> Nullable<Int8>,
        end_to_end_id -> Nullable<Text>,
        remitted_on -> Nullable<Date>,
        return_code -> Nullable<Text>,
    }
}

diesel::table! {
    bank_files (id) {
        id -> Int8,
        kind -> Text,
        filename -> Text,
        sha256 -> Text,
        line_count -> Int4,
        returned_count -> Int4,
        unchanged_count -> Int4,
        unmatched_count -> Int4,
        collected_count -> Int4,
        uploaded_at -> Timestamptz,
        uploaded_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    bank_return_lines (id) {
        id -> Int8,
        bank_file_id -> Int8,
        position -> Int4,
        kind -> Text,
        end_to_end_id -> Nullable<Text>,
        mandate_reference -> Nullable<Text>,
        amount_cents -> Nullable<Int8>,
        occurred_on -> Nullable<Date>,
        reason -> Text,
        status -> Text,
        receipt_id -> Nullable<Int8>,
        resolved_at -> Nullable<Timestamptz>,
        resolved_by_staff_id -> Nullable<Int8>,
    }
}

diesel::joinable!(bank_return_lines -> bank_files (bank_file_id));
diesel::joinable!(bank_return_lines -> receipts (receipt_id));

diesel::table! {
    sepa_settings (id) {
        id -> Int2,
        creditor_name -> Text,
        creditor_id -> Text,
        iban -> Text,
        bic -> Nullable<Text>,
        street -> Text,
        postcode -> Text,
        town -> Text,
        country -> Text,
        file_version -> Text,
        first_sequence -> Bool,
        notice_days -> Int4,
        updated_at -> Timestamptz,
        updated_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    sepa_mandates (id) {
        id -> Int8,
        customer_id -> Int8,
        reference -> Text,
        debtor_name -> Text,
        iban -> Text,
        scheme -> Text,
        signed_on -> Date,
        document_id -> Nullable<Int8>,
        status -> Text,
        first_used_on -> Nullable<Date>,
        last_used_on -> Nullable<Date>,
        amended_from_iban -> Nullable<Text>,
        revoked_on -> Nullable<Date>,
        created_at -> Timestamptz,
        created_by_staff_id -> Nullable<Int8>,
        updated_at -> Timestamptz,
        signed_online_at -> Nullable<Timestamptz>,
        signed_ip -> Nullable<Text>,
        signed_user_agent -> Nullable<Text>,
        signed_text_version -> Nullable<Text>,
        signed_text -> Nullable<Text>,
        signed_by_client_user_id -> Nullable<Int8>,
    }
}

diesel::table! {
    sepa_remittances (id) {
        id -> Int8,
        reference -> Text,
        file_version -> Text,
        collection_date -> Date,
        receipt_count -> Int4,
        total_cents -> Int8,
        xml -> Text,
        sha256 -> Text,
        criteria -> Jsonb,
        created_at -> Timestamptz,
        created_by_staff_id -> Nullable<Int8>,
    }
}

diesel::joinable!(sepa_mandates -> customers (customer_id));
diesel::joinable!(sepa_mandates -> documents (document_id));
diesel::joinable!(receipts -> sepa_remittances (remittance_id));
diesel::joinable!(receipts -> sepa_mandates (mandate_id));
diesel::joinable!(receipts -> policies (policy_id));
diesel::joinable!(receipts -> customers (customer_id));
diesel::joinable!(receipts -> policy_periods (policy_period_id));

diesel::table! {
    carrier_settlements (id) {
        id -> Int8,
        carrier_id -> Int8,
        period -> Date,
        status -> Text,
        line_count -> Int4,
        base_cents -> Int8,
        total_cents -> Int8,
        agent_cents -> Int8,
        created_by_staff_id -> Nullable<Int8>,
        issued_at -> Nullable<Timestamptz>,
        issued_by_staff_id -> Nullable<Int8>,
        paid_on -> Nullable<Date>,
        received_cents -> Nullable<Int8>,
        paid_at -> Nullable<Timestamptz>,
        paid_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    commissions (id) {
        id -> Int8,
        receipt_id -> Int8,
        kind -> Text,
        collection -> Int4,
        carrier_id -> Int8,
        product_id -> Int8,
        policy_id -> Int8,
        agent_staff_id -> Nullable<Int8>,
        renewal -> Bool,
        base_cents -> Int8,
        rate_bp -> Int4,
        amount_cents -> Int8,
        agent_share_bp -> Int4,
        agent_amount_cents -> Int8,
        booked_on -> Date,
        settlement_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Running totals of `commissions` (kept by triggers); keyed by month, carrier, agent and
    /// settled (the agent may be NULL, so the key is not declared as the table's own).
    commission_totals (month, carrier_id, settled) {
        month -> Date,
        carrier_id -> Int8,
        agent_staff_id -> Nullable<Int8>,
        settled -> Bool,
        lines -> Int8,
        base_cents -> Int8,
        amount_cents -> Int8,
        agent_cents -> Int8,
    }
}

diesel::table! {
    /// Policies in force per carrier, line and customer owner (kept by triggers).
    policy_counts (carrier_id, line_id) {
        carrier_id -> Int8,
        line_id -> Int8,
        owner_staff_id -> Nullable<Int8>,
        active -> Int8,
    }
}

diesel::table! {
    /// Policies in force per end date and customer owner (kept by triggers).
    policy_end_counts (end_date) {
        end_date -> Date,
        owner_staff_id -> Nullable<Int8>,
        active -> Int8,
    }
}

diesel::table! {
    /// Open claims per customer owner and handler (kept by triggers).
    open_claim_counts (open) {
        owner_staff_id -> Nullable<Int8>,
        handler_staff_id -> Nullable<Int8>,
        open -> Int8,
    }
}

diesel::joinable!(policy_counts -> carriers (carrier_id));
diesel::joinable!(policy_counts -> lines_of_business (line_id));
diesel::joinable!(carrier_settlements -> carriers (carrier_id));
diesel::joinable!(commissions -> receipts (receipt_id));
diesel::joinable!(commissions -> carriers (carrier_id));
diesel::joinable!(commissions -> products (product_id));
diesel::joinable!(commissions -> policies (policy_id));
diesel::joinable!(commissions -> staff_users (agent_staff_id));
diesel::joinable!(commissions -> carrier_settlements (settlement_id));

diesel::table! {
    import_mappings (id) {
        id -> Int8,
        kind -> Text,
        name -> Text,
        mapping -> Jsonb,
        created_by_staff_id -> Nullable<Int8>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    imports (id) {
        id -> Int8,
        kind -> Text,
        filename -> Text,
        sha256 -> Text,
        size_bytes -> Int8,
        file -> Bytea,
        row_count -> Int4,
        status -> Text,
        mapping -> Jsonb,
        mapping_name -> Nullable<Text>,
        created_count -> Int4,
        updated_count -> Int4,
        unchanged_count -> Int4,
        refused_count -> Int4,
        created_by_staff_id -> Int8,
        created_at -> Timestamptz,
        applied_at -> Nullable<Timestamptz>,
        processed_rows -> Int4,
        lease_until -> Nullable<Timestamptz>,
        applied_by_staff_id -> Nullable<Int8>,
        headers -> Jsonb,
    }
}

diesel::joinable!(imports -> staff_users (created_by_staff_id));

diesel::table! {
    import_refusals (import_id, line) {
        import_id -> Int8,
        line -> Int4,
        problems -> Jsonb,
    }
}

diesel::joinable!(import_refusals -> imports (import_id));

diesel::table! {
    retention_rules (category) {
        category -> Text,
        period_days -> Int4,
        updated_at -> Timestamptz,
        updated_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    retention_runs (id) {
        id -> Int8,
        run_on -> Date,
        trigger -> Text,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        removed -> Jsonb,
        started_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    processing_activities (id) {
        id -> Int8,
        position -> Int4,
        name -> Text,
        purposes -> Text,
        legal_basis -> Text,
        data_subjects -> Text,
        data_categories -> Text,
        recipients -> Text,
        transfers -> Text,
        retention -> Text,
        security_measures -> Text,
        updated_at -> Timestamptz,
        updated_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    complaint_settings (id) {
        id -> Int2,
        deadline_days -> Int4,
        warning_days -> Int4,
        updated_at -> Timestamptz,
        updated_by_staff_id -> Nullable<Int8>,
    }
}

diesel::table! {
    complaint_counters (year) {
        year -> Int4,
        last -> Int4,
    }
}

diesel::table! {
    complaints (id) {
        id -> Int8,
        reference -> Text,
        kind -> Text,
        channel -> Text,
        customer_id -> Nullable<Int8>,
        policy_id -> Nullable<Int8>,
        policy_number_given -> Nullable<Text>,
        complainant_name -> Text,
        complainant_email -> Nullable<Text>,
        complainant_phone -> Nullable<Text>,
        complainant_tax_id -> Nullable<Text>,
        subject -> Text,
        description -> Text,
        wants_human -> Bool,
        received_on -> Date,
        due_on -> Date,
        status -> Text,
        assigned_staff_id -> Nullable<Int8>,
        answer -> Nullable<Text>,
        outcome -> Nullable<Text>,
        closed_at -> Nullable<Timestamptz>,
        closed_by_staff_id -> Nullable<Int8>,
        escalated_to -> Nullable<Text>,
        escalation_reference -> Nullable<Text>,
        escalated_on -> Nullable<Date>,
        warned_at -> Nullable<Timestamptz>,
        created_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(complaints -> customers (customer_id));
diesel::joinable!(complaints -> policies (policy_id));

diesel::table! {
    complaint_events (id) {
        id -> Int8,
        complaint_id -> Int8,
        kind -> Text,
        body -> Text,
        staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(complaint_events -> complaints (complaint_id));
diesel::joinable!(complaint_events -> staff_users (staff_id));

diesel::table! {
    access_log (id) {
        id -> Int8,
        at -> Timestamptz,
        staff_id -> Int8,
        customer_id -> Nullable<Int8>,
        action -> Text,
        subject -> Text,
        ip -> Text,
        user_agent -> Text,
    }
}

diesel::joinable!(access_log -> staff_users (staff_id));
diesel::joinable!(access_log -> customers (customer_id));

diesel::table! {
    privacy_requests (id) {
        id -> Int8,
        customer_id -> Nullable<Int8>,
        requester_name -> Text,
        kind -> Text,
        channel -> Text,
        details -> Text,
        received_on -> Date,
        due_on -> Date,
        extended -> Bool,
        status -> Text,
        resolution -> Nullable<Text>,
        closed_at -> Nullable<Timestamptz>,
        closed_by_staff_id -> Nullable<Int8>,
        created_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(privacy_requests -> customers (customer_id));

diesel::allow_tables_to_appear_in_same_query!(
    analytics_digests,
    blocked_customer_data,
    commission_totals,
    policy_counts,
    legal_texts,
    quote_sale_records,
    privacy_requests,
    access_log,
    complaint_settings,
    complaint_counters,
    complaints,
    complaint_events,
    retention_rules,
    retention_runs,
    processing_activities,
    bank_files,
    bank_return_lines,
    sepa_settings,
    sepa_mandates,
    sepa_remittances,
    import_mappings,
    import_refusals,
    imports,
    carriers,
    lines_of_business,
    products,
    commission_rates,
    staff_users,
    sessions,
    login_attempts,
    audit_log,
    staff_recovery_codes,
    security_settings,
    outbound_emails,
    staff_tokens,
    rate_limit_hits,
    customers,
    customer_consents,
    interactions,
    policies,
    policy_periods,
    policy_endorsements,
    claims,
    claim_events,
    tasks,
    documents,
    document_deliveries,
    document_blobs,
    pending_uploads,
    form_submissions,
    domain_events,
    leads,
    lead_submissions,
    lead_consents,
    lead_events,
    quotes,
    quote_options,
    taxi_tariff_versions,
    landings,
    landing_variants,
    landing_daily_stats,
    blog_posts,
    lead_agent_lines,
    lead_turns,
    landing_conversions_pending,
    client_users,
    client_tokens,
    client_recovery_codes,
    client_sign_ins,
    message_threads,
    messages,
    receipts,
    carrier_settlements,
    commissions,
    automation_runs,
    automation_rules,
    email_templates,
    policy_renewal_terms,
);

// The portfolio header counts policies per carrier and line (`policies::counts`).
diesel::allow_columns_to_appear_in_same_group_by_clause!(carriers::name, lines_of_business::name);

diesel::table! {
    email_templates (id) {
        id -> Int8,
        key -> Text,
        version -> Int4,
        name -> Text,
        entity -> Text,
        category -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        change_note -> Text,
        created_by_staff_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    automation_rules (id) {
        id -> Int8,
        system_key -> Nullable<Text>,
        name -> Text,
        description -> Text,
        enabled -> Bool,
        trigger_kind -> Text,
        event_kind -> Nullable<Text>,
        conditions -> Jsonb,
        date_anchor -> Nullable<Text>,
        offset_amount -> Int4,
        offset_unit -> Text,
        schedule_time -> Nullable<Time>,
        schedule_weekday -> Nullable<Int2>,
        actions -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    automation_runs (id) {
        id -> Int8,
        rule_id -> Int8,
        occurrence -> Text,
        event_id -> Nullable<Int8>,
        entity_type -> Text,
        entity_id -> Int8,
        customer_id -> Nullable<Int8>,
        status -> Text,
        attempts -> Int4,
        outcome -> Text,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Timestamptz,
    }
}

diesel::table! {
    policy_renewal_terms (policy_id, period_end) {
        policy_id -> Int8,
        period_end -> Date,
        new_premium_cents -> Int8,
        recorded_by_staff_id -> Nullable<Int8>,
        recorded_at -> Timestamptz,
    }
}

diesel::joinable!(automation_runs -> automation_rules (rule_id));
diesel::joinable!(policy_renewal_terms -> policies (policy_id));
