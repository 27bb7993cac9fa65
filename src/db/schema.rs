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
    }
}

diesel::table! {
    lines_of_business (id) {
        id -> Int8,
        code -> Text,
        name -> Text,
        summary -> Text,
        position -> Int4,
    }
}

diesel::table! {
    products (id) {
        id -> Int8,
        carrier_id -> Int8,
        line_id -> Int8,
        code -> Text,
        name -> Text,
        commission_new_bp -> Int4,
        commission_renewal_bp -> Int4,
        active -> Bool,
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
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        succeeded -> Bool,
        attempted_at -> Timestamptz,
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

diesel::joinable!(staff_tokens -> staff_users (staff_id));
diesel::joinable!(products -> carriers (carrier_id));
diesel::joinable!(products -> lines_of_business (line_id));
diesel::joinable!(sessions -> staff_users (user_id));
diesel::joinable!(audit_log -> staff_users (actor_staff_id));
diesel::joinable!(staff_recovery_codes -> staff_users (staff_id));

diesel::allow_tables_to_appear_in_same_query!(
    carriers,
    lines_of_business,
    products,
    staff_users,
    sessions,
    login_attempts,
    audit_log,
    staff_recovery_codes,
    security_settings,
    outbound_emails,
    staff_tokens,
    rate_limit_hits,
);
