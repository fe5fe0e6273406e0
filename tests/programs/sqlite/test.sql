-- 10 000 rows into a database file, queried back. tests/e2e compare the
-- output under uk with Debian's own sqlite3 on the host.
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, grp INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO t(name, v, grp) SELECT 'row' || i, i * 0.5, i % 17 FROM n;
CREATE INDEX t_grp ON t(grp);
SELECT count(*), sum(v), min(name), max(name) FROM t;
SELECT grp, count(*), round(avg(v), 3) FROM t GROUP BY grp ORDER BY grp LIMIT 5;
UPDATE t SET v = v * 2 WHERE grp = 3;
DELETE FROM t WHERE id % 10 = 0;
SELECT count(*), round(sum(v), 1) FROM t;
SELECT name FROM t WHERE grp = 16 ORDER BY id DESC LIMIT 3;
PRAGMA integrity_check;
