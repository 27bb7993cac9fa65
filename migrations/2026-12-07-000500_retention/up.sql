-- How long each category of personal data is kept, applied every night by the purge job
-- (RGPD art. 5.1.e: kept no longer than needed). One row per category the job knows; staff
-- with the data-protection permission change the periods, never the categories.
CREATE TABLE retention_rules (
    category            TEXT PRIMARY KEY CHECK (category IN (
                            'unconverted_leads', 'form_tokens', 'rate_limit_hits',
                            'login_attempts', 'sessions', 'sign_in_history', 'used_tokens',
                            'outbox_emails')),
    period_days         INTEGER NOT NULL CHECK (period_days BETWEEN 1 AND 3650),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by_staff_id BIGINT REFERENCES staff_users (id)
);

INSERT INTO retention_rules (category, period_days) VALUES
    ('unconverted_leads', 365),
    ('form_tokens', 30),
    ('rate_limit_hits', 2),
    ('login_attempts', 180),
    ('sessions', 30),
    ('sign_in_history', 365),
    ('used_tokens', 30),
    ('outbox_emails', 365);

-- One row per purge: the nightly one (at most one per Madrid date, under the unique index,
-- so two workers never both run it) or one started by hand; what it removed per category.
CREATE TABLE retention_runs (
    id                  BIGSERIAL PRIMARY KEY,
    run_on              DATE NOT NULL,
    trigger             TEXT NOT NULL CHECK (trigger IN ('nightly', 'manual')),
    started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at         TIMESTAMPTZ,
    removed             JSONB NOT NULL DEFAULT '{}'::jsonb,
    started_by_staff_id BIGINT REFERENCES staff_users (id)
);
CREATE UNIQUE INDEX retention_runs_nightly_idx ON retention_runs (run_on) WHERE trigger = 'nightly';
CREATE INDEX retention_runs_started_idx ON retention_runs (started_at DESC, id DESC);

-- What the purge looks for, by date (login attempts, rate-limit hits and form tokens have
-- theirs already): indexes so the nightly job never scans whole tables.
CREATE INDEX client_sign_ins_signed_in_idx ON client_sign_ins (signed_in_at);
CREATE INDEX outbound_emails_done_idx ON outbound_emails (created_at)
    WHERE status IN ('sent', 'failed');
CREATE INDEX sessions_created_idx ON sessions (created_at);

-- An unconverted lead past its period keeps its row (the conversion figures by source and
-- campaign still count it) with nothing personal left; this is when that happened.
ALTER TABLE leads ADD COLUMN anonymised_at TIMESTAMPTZ;
ALTER TABLE leads DROP CONSTRAINT leads_check,
    ADD CONSTRAINT leads_contact_check
        CHECK (email IS NOT NULL OR phone IS NOT NULL OR anonymised_at IS NOT NULL);
CREATE INDEX leads_unconverted_idx ON leads (updated_at)
    WHERE customer_id IS NULL AND converted_at IS NULL AND anonymised_at IS NULL;

-- The record of processing activities (RGPD art. 30), kept where it can be edited and
-- exported, not in a document nobody updates.
CREATE TABLE processing_activities (
    id                  BIGSERIAL PRIMARY KEY,
    position            INTEGER NOT NULL DEFAULT 0,
    name                TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    purposes            TEXT NOT NULL CHECK (length(purposes) BETWEEN 1 AND 4000),
    legal_basis         TEXT NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 2000),
    data_subjects       TEXT NOT NULL CHECK (length(data_subjects) BETWEEN 1 AND 2000),
    data_categories     TEXT NOT NULL CHECK (length(data_categories) BETWEEN 1 AND 4000),
    recipients          TEXT NOT NULL CHECK (length(recipients) BETWEEN 1 AND 4000),
    transfers           TEXT NOT NULL CHECK (length(transfers) BETWEEN 1 AND 2000),
    retention           TEXT NOT NULL CHECK (length(retention) BETWEEN 1 AND 4000),
    security_measures   TEXT NOT NULL CHECK (length(security_measures) BETWEEN 1 AND 4000),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by_staff_id BIGINT REFERENCES staff_users (id)
);

INSERT INTO processing_activities (position, name, purposes, legal_basis, data_subjects, data_categories, recipients, transfers, retention, security_measures) VALUES
(1, 'Mediación de seguros: clientes y pólizas',
 'Asesorar al cliente, comparar ofertas de las aseguradoras, contratar, mantener y renovar sus pólizas, y gestionar los cambios durante su vigencia.',
 'Ejecución del contrato de mediación y medidas precontractuales (RGPD art. 6.1.b); obligaciones legales de la distribución de seguros (RDL 3/2020) (art. 6.1.c).',
 'Clientes, tomadores, asegurados y beneficiarios; sus representantes.',
 'Identificativos (nombre, NIF, dirección, teléfono, correo); datos del riesgo asegurado (vehículo, vivienda, actividad); datos económicos de la póliza; en seguros de personas, datos de salud facilitados por el cliente para la contratación.',
 'Aseguradoras con las que se contrata o se pide oferta; administraciones públicas cuando la ley lo exige (Agencia Tributaria, DGSFP).',
 'No se hacen transferencias internacionales.',
 'Mientras dure la relación y después los plazos de prescripción: 2 años en seguros de daños y 5 en seguros de personas (Ley 50/1980, art. 23), 6 años los libros (Código de Comercio, art. 30) y 4 años los datos fiscales; durante esos plazos, bloqueados (LOPDGDD art. 32).',
 'Acceso por usuario con contraseña y verificación en dos pasos, permisos por rol y cartera, registro de accesos a la ficha de cada cliente, cifrado en tránsito (HTTPS), copias de seguridad diarias verificadas, registro de auditoría inalterable.'),
(2, 'Cobro de recibos por domiciliación SEPA',
 'Cobrar las primas de los recibos por adeudo directo, gestionar devoluciones y conciliar los extractos bancarios.',
 'Ejecución del contrato (art. 6.1.b) y mandato SEPA firmado por el deudor.',
 'Clientes y titulares de las cuentas de cargo.',
 'Identificativos, IBAN y BIC, referencia del mandato, importes y fechas de cargo, motivos de devolución.',
 'Entidad bancaria de la correduría; aseguradoras en las liquidaciones.',
 'No se hacen transferencias internacionales.',
 'Mandatos: 14 meses tras el último adeudo como mínimo, y 6 años con los libros contables; recibos: 6 años (Código de Comercio, art. 30).',
 'Permiso específico para remesas, ficheros generados en el servidor y descargados por personal autorizado, registro de auditoría de cada remesa y devolución.'),
(3, 'Siniestros',
 'Comunicar los siniestros a la aseguradora, acompañar al cliente en su tramitación y registrar su evolución.',
 'Ejecución del contrato (art. 6.1.b); en datos de salud de lesionados, art. 9.2.f (reclamaciones) y 9.2.h.',
 'Clientes, asegurados, terceros perjudicados y testigos.',
 'Identificativos, descripción y fotografías del siniestro, importes, y datos de salud cuando hay lesiones.',
 'Aseguradoras, peritos y talleres designados por la aseguradora.',
 'No se hacen transferencias internacionales.',
 '2 años (daños) o 5 años (personas) desde el cierre del siniestro (Ley 50/1980, art. 23).',
 'Acceso restringido a tramitación de siniestros y a la cartera del agente; documentos privados por defecto; registro de descargas.'),
(4, 'Captación comercial: formularios web, landings y Taxi Asegurado',
 'Atender las solicitudes de información y presupuesto recibidas en la web, y enviar comunicaciones comerciales a quien lo ha consentido.',
 'Medidas precontractuales a petición del interesado (art. 6.1.b); consentimiento para comunicaciones comerciales (art. 6.1.a; LSSI art. 21).',
 'Personas que piden información o presupuesto (leads) y suscriptores.',
 'Nombre, teléfono, correo, código postal, datos del riesgo que describen; origen de la visita (campaña), dirección IP y texto del consentimiento aceptado.',
 'Aseguradoras a las que se pide oferta; nadie más.',
 'No se hacen transferencias internacionales.',
 'Las solicitudes que no llegan a contratarse se anonimizan al año sin actividad (calendario de conservación); la baja de comunicaciones comerciales se atiende al momento.',
 'Límite de envíos por dirección, formularios con protección CSRF, consentimientos guardados con su texto completo y versión, enlace de baja en cada envío comercial.'),
(5, 'Portal de clientes e-SORI',
 'Dar al cliente acceso a sus pólizas, recibos, documentos y siniestros, y comunicarse con la correduría.',
 'Ejecución del contrato (art. 6.1.b).',
 'Clientes con cuenta en el portal.',
 'Credenciales (contraseña cifrada con Argon2), historial de accesos (IP y navegador), mensajes y documentos.',
 'Nadie fuera de la correduría.',
 'No se hacen transferencias internacionales.',
 'La cuenta mientras el cliente la mantenga; el historial de accesos, un año.',
 'Seguridad a nivel de fila en la base de datos (cada cliente solo llega a lo suyo), verificación en dos pasos opcional, sesiones revocables.'),
(6, 'Servicio de atención al cliente: quejas y reclamaciones',
 'Recibir, tramitar y responder las quejas y reclamaciones, y elaborar el informe anual del servicio.',
 'Obligación legal (art. 6.1.c): Orden ECO/734/2004 y Ley 10/2025 de servicios de atención a la clientela.',
 'Reclamantes (clientes o no) y sus representantes.',
 'Identificativos, contacto, hechos reclamados, pólizas afectadas y la respuesta dada.',
 'Defensor del Cliente y Servicio de Reclamaciones de la DGSFP cuando el reclamante acude a ellos.',
 'No se hacen transferencias internacionales.',
 '6 años desde la respuesta.',
 'Acceso restringido al departamento de atención al cliente, separado de la actividad comercial.'),
(7, 'Derechos de protección de datos',
 'Atender las solicitudes de acceso, rectificación, supresión, oposición, limitación y portabilidad, y bloquear los datos cuando procede.',
 'Obligación legal (art. 6.1.c): RGPD arts. 12 a 22 y LOPDGDD art. 32.',
 'Clientes y cualquier persona que ejerza sus derechos.',
 'Identificativos, la solicitud, su respuesta y los datos bloqueados.',
 'Jueces, tribunales, Ministerio Fiscal y autoridades competentes, solo cuando lo requieran sobre datos bloqueados.',
 'No se hacen transferencias internacionales.',
 '3 años desde la respuesta (prescripción de infracciones, LOPDGDD art. 72).',
 'Datos bloqueados visibles solo para el rol de cumplimiento, con registro de cada consulta.'),
(8, 'Seguridad de los sistemas',
 'Proteger las cuentas y los datos: registro de accesos del personal a los datos de clientes, intentos de acceso y límites de envío.',
 'Interés legítimo en la seguridad de la información (art. 6.1.f; considerando 49) y obligación de seguridad (art. 32).',
 'Personal de la correduría, clientes con cuenta y visitantes de la web.',
 'Correo de acceso, dirección IP, navegador, fecha y hora, página o documento consultado.',
 'Nadie fuera de la correduría.',
 'No se hacen transferencias internacionales.',
 'Intentos de acceso, 6 meses; límites de envío, 2 días; registro de accesos a datos de clientes, 2 años (calendario de conservación).',
 'Registros solo de lectura para el personal autorizado, purga automática cada noche según el calendario de conservación.');
