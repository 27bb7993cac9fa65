-- Automation: rules that act on domain events, on dates relative to a record and on a
-- schedule; the run log that makes each action happen exactly once; the e-mail templates
-- staff edit (versioned); the renewal premium an agent records before a renewal.

-- Events written before the engine existed are history, not work: they were acted on by hand.
UPDATE domain_events SET processed_at = now() WHERE processed_at IS NULL;

ALTER TABLE domain_events
    -- How many rule actions led to this event (0: a person's change); rules stop at 3.
    -- Read from a transaction setting the engine sets while a rule acts, so that every event
    -- a rule's action publishes carries its depth without each publisher knowing of rules.
    ADD COLUMN depth           SMALLINT NOT NULL
        DEFAULT COALESCE(NULLIF(current_setting('soriano.event_depth', true), '')::smallint, 0)
        CHECK (depth BETWEEN 0 AND 10),
    ADD COLUMN attempts        INT NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN last_error      TEXT,
    -- Set aside after too many failures, until an admin retries it.
    ADD COLUMN parked_at       TIMESTAMPTZ;
CREATE INDEX domain_events_parked_idx ON domain_events (id) WHERE parked_at IS NOT NULL;

-- E-mail templates: every save is a new version; the newest one is sent.
CREATE TABLE email_templates (
    id                  BIGSERIAL PRIMARY KEY,
    key                 TEXT NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{1,60}$'),
    version             INT NOT NULL CHECK (version >= 1),
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    -- The record the template speaks about: it decides which placeholders it may use.
    entity              TEXT NOT NULL
                        CHECK (entity IN ('claim', 'policy', 'quote', 'receipt', 'lead', 'message', 'customer')),
    -- Service messages go to every client; marketing only with consent and an unsubscribe link.
    category            TEXT NOT NULL CHECK (category IN ('service', 'marketing')),
    subject             TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body_text           TEXT NOT NULL CHECK (length(body_text) BETWEEN 1 AND 20000),
    body_html           TEXT NOT NULL CHECK (length(body_html) BETWEEN 1 AND 40000),
    change_note         TEXT NOT NULL DEFAULT '',
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (key, version)
);

CREATE TABLE automation_rules (
    id                  BIGSERIAL PRIMARY KEY,
    -- The rules Soriano ships carry a key, so a later migration can find them.
    system_key          TEXT UNIQUE,
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description         TEXT NOT NULL DEFAULT '',
    enabled             BOOLEAN NOT NULL DEFAULT true,
    trigger_kind        TEXT NOT NULL CHECK (trigger_kind IN ('event', 'date', 'schedule')),
    event_kind          TEXT CHECK (event_kind ~ '^[a-z_]+\.[a-z_]+$'),
    -- [{"field": "to", "op": "eq", "value": "assessed"}, ...], all must hold.
    conditions          JSONB NOT NULL DEFAULT '[]',
    date_anchor         TEXT,
    -- Negative: before the anchor.
    offset_amount       INT NOT NULL DEFAULT 0 CHECK (offset_amount BETWEEN -3650 AND 3650),
    offset_unit         TEXT NOT NULL DEFAULT 'days' CHECK (offset_unit IN ('hours', 'days', 'working_days')),
    schedule_time       TIME,
    -- ISO weekday (1 Monday .. 7 Sunday); NULL every day.
    schedule_weekday    SMALLINT CHECK (schedule_weekday BETWEEN 1 AND 7),
    actions             JSONB NOT NULL DEFAULT '[]',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (trigger_kind <> 'event' OR event_kind IS NOT NULL),
    CHECK (trigger_kind <> 'date' OR date_anchor IS NOT NULL),
    CHECK (trigger_kind <> 'schedule' OR schedule_time IS NOT NULL)
);
CREATE INDEX automation_rules_event_idx ON automation_rules (event_kind) WHERE enabled;

-- One row per (rule, occurrence): the event it answered, or the record and date it fired for.
-- The unique key is what makes an action happen once, whatever the number of workers.
CREATE TABLE automation_runs (
    id                  BIGSERIAL PRIMARY KEY,
    rule_id             BIGINT NOT NULL REFERENCES automation_rules (id),
    occurrence          TEXT NOT NULL,
    event_id            BIGINT REFERENCES domain_events (id),
    entity_type         TEXT NOT NULL,
    entity_id           BIGINT NOT NULL,
    customer_id         BIGINT REFERENCES customers (id),
    status              TEXT NOT NULL CHECK (status IN ('done', 'failed', 'parked')),
    attempts            INT NOT NULL DEFAULT 1,
    -- What the actions did, in Spanish, for the run log and the customer's timeline.
    outcome             TEXT NOT NULL DEFAULT '',
    last_error          TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (rule_id, occurrence)
);
CREATE INDEX automation_runs_rule_idx ON automation_runs (rule_id, id DESC);
CREATE INDEX automation_runs_customer_idx ON automation_runs (customer_id, id DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX automation_runs_entity_idx ON automation_runs (entity_type, entity_id, id DESC);
CREATE INDEX automation_runs_unfinished_idx ON automation_runs (id) WHERE status <> 'done';

-- The premium the carrier announced for the next period, recorded by the agent when preparing
-- a renewal; the renewal notice shows it beside the current one.
CREATE TABLE policy_renewal_terms (
    policy_id           BIGINT NOT NULL REFERENCES policies (id),
    -- The end date of the period being renewed: a later renewal gets its own row.
    period_end          DATE NOT NULL,
    new_premium_cents   BIGINT NOT NULL CHECK (new_premium_cents > 0),
    recorded_by_staff_id BIGINT REFERENCES staff_users (id),
    recorded_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, period_end)
);

-- Outbox: the unsubscribe address of a commercial e-mail (List-Unsubscribe, LSSI art. 21).
ALTER TABLE outbound_emails ADD COLUMN list_unsubscribe TEXT;
-- e-SORI queues its own e-mails (service ones: the column stays NULL, but the insert names it).
GRANT INSERT (list_unsubscribe) ON outbound_emails TO soriano_portal;

-- Default e-mail templates: version 1 of the templates the default rules send. Staff edit them
-- in the back-office (every save is a new version). The HTML is written as the editor's
-- sanitiser keeps it, and uses only the placeholders each record kind fills.
INSERT INTO email_templates (key, version, name, entity, category, subject, body_text, body_html, change_note) VALUES
('siniestro_recibido', 1, 'Acuse de recibo de siniestro', 'claim', 'service',
 'Hemos recibido su siniestro {{numero_siniestro}}',
 'Hola, {{nombre_cliente}}:

Hemos recibido la comunicación de su siniestro y ya estamos trabajando en él.

Número de siniestro: {{numero_siniestro}}
Póliza: {{numero_poliza}}

Puede seguir su tramitación, consultar los documentos y escribirnos desde e-SORI, su área de cliente:
{{enlace_portal}}

Le avisaremos en cuanto haya novedades. Estamos a su disposición para lo que necesite.

Un saludo,
Soriano Mediadores',
 '<p>Hola, {{nombre_cliente}}:</p>
<p>Hemos recibido la comunicación de su siniestro y ya estamos trabajando en él.</p>
<ul>
<li><strong>Número de siniestro:</strong> {{numero_siniestro}}</li>
<li><strong>Póliza:</strong> {{numero_poliza}}</li>
</ul>
<p>Puede seguir su tramitación, consultar los documentos y escribirnos desde <a href="{{enlace_portal}}" rel="noopener noreferrer">e-SORI, su área de cliente</a>.</p>
<p>Le avisaremos en cuanto haya novedades. Estamos a su disposición para lo que necesite.</p>
<p>Un saludo,<br>Soriano Mediadores</p>',
 'Versión inicial'),
('siniestro_cambio_estado', 1, 'Cambio de estado de siniestro', 'claim', 'service',
 'Novedades de su siniestro {{numero_siniestro}}',
 'Hola, {{nombre_cliente}}:

Le escribimos para contarle que su siniestro {{numero_siniestro}} ha cambiado de estado. Ahora está: {{estado_siniestro}}.

Puede ver el detalle y seguir su evolución en e-SORI, su área de cliente:
{{enlace_portal}}

Si tiene cualquier duda, estamos a su disposición.

Un saludo,
Soriano Mediadores',
 '<p>Hola, {{nombre_cliente}}:</p>
<p>Le escribimos para contarle que su siniestro <strong>{{numero_siniestro}}</strong> ha cambiado de estado. Ahora está: <strong>{{estado_siniestro}}</strong>.</p>
<p>Puede ver el detalle y seguir su evolución en <a href="{{enlace_portal}}" rel="noopener noreferrer">e-SORI, su área de cliente</a>.</p>
<p>Si tiene cualquier duda, estamos a su disposición.</p>
<p>Un saludo,<br>Soriano Mediadores</p>',
 'Versión inicial'),
('presupuesto_enviado', 1, 'Envío de presupuesto', 'quote', 'service',
 'Su presupuesto {{numero_presupuesto}}',
 'Hola, {{nombre_cliente}}:

Gracias por confiar en nosotros. Le enviamos el presupuesto {{numero_presupuesto}} que nos pidió; es válido hasta el {{validez_presupuesto}}.

Puede verlo, comparar sus opciones y aceptarlo aquí:
{{enlace_presupuesto}}

Si quiere ajustar alguna cobertura o tiene cualquier duda, {{nombre_mediador}} le atenderá con mucho gusto.

Un saludo,
Soriano Mediadores',
 '<p>Hola, {{nombre_cliente}}:</p>
<p>Gracias por confiar en nosotros. Le enviamos el presupuesto <strong>{{numero_presupuesto}}</strong> que nos pidió; es válido hasta el <strong>{{validez_presupuesto}}</strong>.</p>
<p><a href="{{enlace_presupuesto}}" rel="noopener noreferrer">Ver el presupuesto</a>: podrá comparar sus opciones y aceptarlo.</p>
<p>Si quiere ajustar alguna cobertura o tiene cualquier duda, {{nombre_mediador}} le atenderá con mucho gusto.</p>
<p>Un saludo,<br>Soriano Mediadores</p>',
 'Versión inicial'),
('aviso_renovacion', 1, 'Aviso de renovación de póliza', 'policy', 'service',
 'Su póliza {{numero_poliza}} se renueva el {{fecha_vencimiento}}',
 'Hola, {{nombre_cliente}}:

Le recordamos que su póliza {{numero_poliza}} con {{aseguradora}} se renueva el {{fecha_vencimiento}}.

Prima actual: {{prima_actual}}
Prima del nuevo periodo: {{prima_nueva}} ({{variacion_prima}})

Si quiere revisar sus coberturas o comparar otras opciones antes de la renovación, {{nombre_mediador}} le atenderá con mucho gusto. Si todo está bien, no tiene que hacer nada: la póliza se renovará sola.

Puede consultar su póliza y sus recibos en e-SORI, su área de cliente:
{{enlace_portal}}

Un saludo,
Soriano Mediadores',
 '<p>Hola, {{nombre_cliente}}:</p>
<p>Le recordamos que su póliza <strong>{{numero_poliza}}</strong> con {{aseguradora}} se renueva el <strong>{{fecha_vencimiento}}</strong>.</p>
<ul>
<li><strong>Prima actual:</strong> {{prima_actual}}</li>
<li><strong>Prima del nuevo periodo:</strong> {{prima_nueva}} ({{variacion_prima}})</li>
</ul>
<p>Si quiere revisar sus coberturas o comparar otras opciones antes de la renovación, {{nombre_mediador}} le atenderá con mucho gusto. Si todo está bien, no tiene que hacer nada: la póliza se renovará sola.</p>
<p>Puede consultar su póliza y sus recibos en <a href="{{enlace_portal}}" rel="noopener noreferrer">e-SORI, su área de cliente</a>.</p>
<p>Un saludo,<br>Soriano Mediadores</p>',
 'Versión inicial'),
('recibo_devuelto', 1, 'Recibo devuelto por el banco', 'receipt', 'service',
 'Su recibo {{numero_recibo}} ha sido devuelto',
 'Hola, {{nombre_cliente}}:

Su banco nos ha devuelto el recibo {{numero_recibo}} de {{importe_recibo}}, de la póliza {{numero_poliza}}.

Motivo indicado por el banco: {{motivo_devolucion}}

{{siguiente_paso}}

Para que su póliza siga en vigor sin interrupciones, le rogamos que lo revise cuanto antes. Puede ver sus recibos en e-SORI, su área de cliente:
{{enlace_portal}}

Si tiene cualquier duda, {{nombre_mediador}} le ayudará.

Un saludo,
Soriano Mediadores',
 '<p>Hola, {{nombre_cliente}}:</p>
<p>Su banco nos ha devuelto el recibo <strong>{{numero_recibo}}</strong> de <strong>{{importe_recibo}}</strong>, de la póliza {{numero_poliza}}.</p>
<p><strong>Motivo indicado por el banco:</strong> {{motivo_devolucion}}</p>
<p>{{siguiente_paso}}</p>
<p>Para que su póliza siga en vigor sin interrupciones, le rogamos que lo revise cuanto antes. Puede ver sus recibos en <a href="{{enlace_portal}}" rel="noopener noreferrer">e-SORI, su área de cliente</a>.</p>
<p>Si tiene cualquier duda, {{nombre_mediador}} le ayudará.</p>
<p>Un saludo,<br>Soriano Mediadores</p>',
 'Versión inicial'),
('oferta_hogar', 1, 'Oferta: revisión del seguro de hogar', 'customer', 'marketing',
 '{{nombre_cliente}}, ¿revisamos su seguro de hogar?',
 'Hola, {{nombre_cliente}}:

¿Hace tiempo que no revisa el seguro de su casa? Muchas pólizas de hogar se quedan cortas con los años: el continente y el contenido cambian, y las coberturas no siempre los acompañan.

Le proponemos una revisión gratuita y sin compromiso: comparamos su seguro actual con las opciones de las principales aseguradoras y le decimos, con claridad, si puede estar mejor protegido o pagar menos.

Solo tiene que escribir a {{nombre_mediador}} desde e-SORI:
{{enlace_portal}}

Un saludo,
Soriano Mediadores

Si no desea recibir más comunicaciones comerciales: {{enlace_baja}}',
 '<p>Hola, {{nombre_cliente}}:</p>
<p>¿Hace tiempo que no revisa el seguro de su casa? Muchas pólizas de hogar se quedan cortas con los años: el continente y el contenido cambian, y las coberturas no siempre los acompañan.</p>
<p>Le proponemos una <strong>revisión gratuita y sin compromiso</strong>: comparamos su seguro actual con las opciones de las principales aseguradoras y le decimos, con claridad, si puede estar mejor protegido o pagar menos.</p>
<p>Solo tiene que escribir a {{nombre_mediador}} desde <a href="{{enlace_portal}}" rel="noopener noreferrer">e-SORI, su área de cliente</a>.</p>
<p>Un saludo,<br>Soriano Mediadores</p>
<p>Si no desea recibir más comunicaciones comerciales: <a href="{{enlace_baja}}" rel="noopener noreferrer">darse de baja</a></p>',
 'Versión inicial');
