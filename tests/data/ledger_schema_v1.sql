-- A ledger written by taizhang schema version 1 (before batches.notes), for the migration test.
BEGIN TRANSACTION;
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    village TEXT,
    kind TEXT,
    imported_at TEXT NOT NULL
);
INSERT INTO "batches" VALUES(1,'平阳村.csv','abc',10,'2022-02-08','平阳村','registration','2022-02-08T08:00:00');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','1');
CREATE TABLE person_values (
    person_id INTEGER NOT NULL REFERENCES persons(id),
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL
);
INSERT INTO "person_values" VALUES(1,'name','张三',1,'平阳村',2);
CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    verified INTEGER NOT NULL,
    registered INTEGER NOT NULL DEFAULT 0,
    name TEXT, sex TEXT, id_number TEXT, phone TEXT, village TEXT, departure_date TEXT, arrival_date TEXT, registration_date TEXT, control_start TEXT, status_date TEXT, address TEXT, origin TEXT, risk_level TEXT, category TEXT, transport TEXT, trip_no TEXT, workplace TEXT, has_negative_proof TEXT, health_code TEXT, regime TEXT, status TEXT, guardian TEXT, doctor TEXT, remarks TEXT,
    updated_batch INTEGER REFERENCES batches(id)
);
INSERT INTO "persons" VALUES(1,'id:11010519491231002X',1,1,'张三',NULL,'11010519491231002X',NULL,'平阳村',NULL,'2022-01-28',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    person_id INTEGER REFERENCES persons(id),
    path TEXT, sheet TEXT, row INTEGER, col TEXT, field TEXT, code TEXT NOT NULL,
    severity TEXT NOT NULL, value TEXT, message TEXT NOT NULL
);
CREATE TABLE rejected_rows (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    cells TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE temperatures (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    date TEXT,
    slot TEXT,
    temperature REAL,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    retracted_by INTEGER REFERENCES batches(id),
    UNIQUE (person_id, date, slot)
);
CREATE TABLE tests (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    sample_date TEXT,
    result TEXT,
    site TEXT,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    retracted_by INTEGER REFERENCES batches(id),
    UNIQUE (person_id, sample_date, result)
);
INSERT INTO "tests" VALUES(1,1,'2022-01-28','negative','',1,'平阳村',2,NULL);
CREATE INDEX batches_sha ON batches(sha256);
CREATE INDEX batches_path ON batches(path);
CREATE INDEX person_values_person ON person_values(person_id, field);
CREATE INDEX temperatures_date ON temperatures(date);
COMMIT;
