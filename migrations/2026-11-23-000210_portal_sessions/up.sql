-- e-SORI "Seguridad": a signed-in client changes their password or ends their other
-- sessions, and confirming a new e-mail ends the sessions opened with the old one. These run
-- under the portal role like every portal write (see 000180).
--
-- The session table holds every staff and client session, so the role gets no access to it.
-- This function ends the current customer's client sessions, all but the one whose sign-in id
-- (state key `sori.sid`, stored as actix-session writes it: a JSON string) is `keep_sid`, or
-- all of them when `keep_sid` is NULL, and says how many it ended.
CREATE FUNCTION portal_end_sessions(keep_sid TEXT) RETURNS INTEGER
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path FROM CURRENT
    AS $$ WITH ended AS (
              DELETE FROM sessions
               WHERE kind = 'client'
                 AND client_user_id IN (SELECT id FROM client_users
                                         WHERE customer_id = portal_customer_id())
                 AND (keep_sid IS NULL OR (state ->> 'sori.sid') IS DISTINCT FROM keep_sid)
              RETURNING 1)
          SELECT count(*)::INTEGER FROM ended $$;
REVOKE ALL ON FUNCTION portal_end_sessions(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal_end_sessions(TEXT) TO soriano_portal;

-- The signed-in password change writes the hash under the portal role (its own row only, by
-- the portal_own_update policy of 000180). Links that set a password still run as the
-- application: nobody is signed in when they are used.
GRANT UPDATE (password_hash) ON client_users TO soriano_portal;
