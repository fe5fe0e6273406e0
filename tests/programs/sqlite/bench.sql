-- make bench: 100 000 inserts in one transaction, timed by sqlite's own
-- .timer (the same shell measures itself in the guest and on the host).
CREATE TABLE b(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
.timer on
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
INSERT INTO b(v, n) SELECT hex(randomblob(16)), i % 1000 FROM s;
COMMIT;
.timer off
SELECT count(*) FROM b;
