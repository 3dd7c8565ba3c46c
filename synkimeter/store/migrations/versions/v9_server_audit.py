"""v9 (clinic store): audit rows written only by the server, and clip files read only through an
audited path. Self-contained (issue 30): on SQLite it changes nothing.

On PostgreSQL, three functions owned by the schema's owner (who runs the migrations), SECURITY
DEFINER, so they act with the owner's rights whoever calls them:
- `synkimeter_audit(action, patient_id, pseudonym, detail, host)` writes an audit row whose actor
  is the login role (session_user) and whose time is the server's clock (UTC): a caller names
  neither. INSERT on audit is revoked from everyone else, so a row cannot be forged.
- `synkimeter_clip_file(clip_id, kind, host)` returns a clip file's bytes; reading a video writes a
  'read' row in the same statement. SELECT on clip_files.data is revoked from every other role (they
  keep its other columns), so a video reaches a role only through this function.
- `synkimeter_clip_file_hashes(clip_ids)` gives the files' SHA-256 (for `check` and `store copy`)
  without handing out their bytes.

What a database superuser (or the owner) can still do: anything, since privileges do not bind them:
insert or change audit rows, read clip_files directly, replace these functions. The audit guards
against therapists' roles, not against the database's administrators; the server's own log
(log_statement = 'mod') and its backups are the check on them.

Revision ID: v9
"""

from alembic import op

revision = "v9"
down_revision = "v8"
branch_labels = None
depends_on = None

FUNCTIONS = """
CREATE OR REPLACE FUNCTION synkimeter_audit(p_action text, p_patient_id integer, p_pseudonym text,
                                            p_detail text, p_host text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO audit (at, actor, host, action, patient_id, pseudonym, detail)
    VALUES (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), session_user,
            left(coalesce(p_host, ''), 200), p_action, p_patient_id, p_pseudonym, left(coalesce(p_detail, ''), 500));
$$;

CREATE OR REPLACE FUNCTION synkimeter_clip_file(p_clip_id integer, p_kind text, p_host text) RETURNS bytea
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    content bytea;
    who record;
BEGIN
    SELECT data INTO content FROM clip_files WHERE clip_id = p_clip_id AND kind = p_kind;
    IF content IS NOT NULL AND p_kind = 'video' THEN
        SELECT p.id, p.pseudonym INTO who FROM clips c JOIN sessions s ON s.id = c.session_id
            JOIN patients p ON p.id = s.patient_id WHERE c.id = p_clip_id;
        PERFORM synkimeter_audit('read', who.id, who.pseudonym, 'video of clip ' || p_clip_id, p_host);
    END IF;
    RETURN content;
END;
$$;

CREATE OR REPLACE FUNCTION synkimeter_clip_file_hashes(p_clip_ids integer[])
RETURNS TABLE (clip_id integer, kind text, sha text)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT f.clip_id, f.kind, encode(sha256(f.data), 'hex') FROM clip_files f WHERE f.clip_id = ANY(p_clip_ids);
$$;

REVOKE EXECUTE ON FUNCTION synkimeter_audit(text, integer, text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION synkimeter_clip_file(integer, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION synkimeter_clip_file_hashes(integer[]) FROM PUBLIC;
"""

# The roles that could insert audit rows or read clip files before: they lose that, and may call the
# functions instead (`clinic init` grants the same to the two group roles of a new clinic store).
REGRANT = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_schema = 'public' AND table_name IN ('audit', 'clip_files')
               AND grantee NOT IN (current_user, 'PUBLIC') LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit FROM %%I', r.grantee);
        EXECUTE format('REVOKE SELECT ON clip_files FROM %%I', r.grantee);
        EXECUTE format('GRANT SELECT (clip_id, kind, name, size, sha256) ON clip_files TO %%I', r.grantee);
        EXECUTE format('GRANT EXECUTE ON FUNCTION synkimeter_audit(text, integer, text, text, text), '
                       'synkimeter_clip_file(integer, text, text), synkimeter_clip_file_hashes(integer[]) TO %%I',
                       r.grantee);
    END LOOP;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC;
    REVOKE SELECT ON clip_files FROM PUBLIC;
END;
$$;
"""


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    # Straight to the driver: the SQL holds colons (HH24:MI:SS) that text() would take for parameters
    # (and the driver reads %% as one %).
    conn.exec_driver_sql(FUNCTIONS)
    conn.exec_driver_sql(REGRANT)
