package mysql

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	driver "github.com/go-sql-driver/mysql"
	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/database"
)

// Copy copies the source's database (schema) into the target's: the
// tables and views first (mariadb-dump --no-data, restored with the
// mariadb client), then the rows of every table from ONE consistent dump
// (--single-transaction, with the binary log position of its snapshot,
// which --online will replicate from), applied at the target table by
// table, several at once, each in a transaction committed before the
// ledger records it; then the triggers, routines and events with their
// definers, and the AUTO_INCREMENT counters.
//
// Why one dump parsed here rather than a parallel read through the
// driver: MySQL has no exported snapshot, so sessions reading tables in
// parallel from one moment need FLUSH TABLES WITH READ LOCK on the live
// source (which RDS refuses to the master user); the dump's single
// snapshot is the one every table comes from, and its binlog position is
// exact. Applying it here rather than through the mariadb client makes it
// resumable per table and lets tables load at the target in parallel,
// where the time goes (indexes are maintained as rows arrive).
//
// The source is only read: the driver's sessions and the dump's are
// read-only transactions.
func Copy(ctx context.Context, src, dst database.Endpoint, o database.CopyOptions) (*database.CopyResult, error) {
	o.Jobs = max(o.Jobs, 1)
	res := database.NewCopyResult(database.MySQL, src, dst)
	defer res.Finish()
	c := &copier{src: src, dst: dst, o: o, res: res, throttle: database.NewThrottle(o.ReadLimit)}
	err := c.run(ctx)
	c.cleanup()
	return res, err
}

type copier struct {
	src, dst database.Endpoint
	o        database.CopyOptions
	res      *database.CopyResult
	throttle *database.Throttle

	dump, client   string
	srcCnf, dstCnf string
	tmp            string
	srcDB, dstDB   *sql.DB
	// srcConn is the source's one session, read-only.
	srcConn  *sql.Conn
	tables   []mtable
	existing map[string]bool
	binlog   bool
}

type mtable struct {
	name  string
	bytes int64
	auto  sql.NullInt64
}

func (c *copier) cleanup() {
	if c.srcConn != nil {
		c.srcConn.Close()
	}
	if c.srcDB != nil {
		c.srcDB.Close()
	}
	if c.dstDB != nil {
		c.dstDB.Close()
	}
	if c.tmp != "" {
		os.RemoveAll(c.tmp)
	}
}

func (c *copier) open(ctx context.Context, ep database.Endpoint, side database.Side) (*sql.DB, error) {
	if ep.Database == "" {
		return nil, &database.URLError{Side: side, URL: ep.String(), Err: errors.New("db copy needs the database named in the URL: mysql://USER@HOST/DATABASE")}
	}
	cfg, err := config(ep, side)
	if err != nil {
		return nil, err
	}
	cfg.ReadTimeout = 0
	connector, err := driver.NewConnector(cfg)
	if err != nil {
		return nil, &database.URLError{Side: side, URL: ep.String(), Err: err}
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(c.o.Jobs + 2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classify(ep, side, err)
	}
	return db, nil
}

func (c *copier) run(ctx context.Context) error {
	var err error
	if c.srcDB, err = c.open(ctx, c.src, database.Source); err != nil {
		return err
	}
	if c.dstDB, err = c.open(ctx, c.dst, database.Target); err != nil {
		return err
	}
	if c.srcConn, err = c.srcDB.Conn(ctx); err != nil {
		return classify(c.src, database.Source, err)
	}
	if _, err := c.srcConn.ExecContext(ctx, "SET SESSION TRANSACTION READ ONLY"); err != nil {
		return classify(c.src, database.Source, err)
	}
	var version, comment string
	if err := c.srcConn.QueryRowContext(ctx, `SELECT @@version, @@version_comment, @@log_bin`).Scan(&version, &comment, &c.binlog); err != nil {
		return fmt.Errorf("source %s: read the version: %w", c.src, err)
	}
	c.res.Product, c.res.Version = "MySQL", version
	if strings.Contains(strings.ToLower(version+comment), "mariadb") {
		c.res.Product, c.res.Version = "MariaDB", strings.Split(version, "-")[0]
	}
	if c.binlog {
		// SHOW MASTER STATUS needs a privilege the login may lack; the
		// dump would fail on it, so it is asked only when it works.
		rows, err := c.srcConn.QueryContext(ctx, `SHOW MASTER STATUS`)
		c.binlog = err == nil
		if err == nil {
			rows.Close()
		}
	}
	if err := c.findTools(); err != nil {
		return err
	}
	if c.tables, err = listTables(ctx, c.srcConn, c.src.Database); err != nil {
		return fmt.Errorf("source %s: list the tables: %w", c.src, err)
	}
	dstTables, err := listTables(ctx, c.dstDB, c.dst.Database)
	if err != nil {
		return fmt.Errorf("target %s: list the tables: %w", c.dst, err)
	}
	c.existing = map[string]bool{}
	for _, t := range dstTables {
		c.existing[t.name] = true
	}
	if c.tmp, err = os.MkdirTemp("", "sortie-db-"); err != nil {
		return err
	}
	if c.srcCnf, err = c.optionFile(c.src, database.Source); err != nil {
		return err
	}
	if c.dstCnf, err = c.optionFile(c.dst, database.Target); err != nil {
		return err
	}

	L := c.o.Ledger
	schemaState, _ := L.Phase(database.PhaseSchema)
	c.res.Resumed = schemaState != database.NotStarted
	if schemaState != database.Done {
		if err := c.checkTarget(ctx); err != nil {
			return err
		}
	}
	var total int64
	for _, t := range c.tables {
		total += t.bytes
	}
	c.o.Emit(database.CopyEvent{Kind: database.EventPlanned, Tables: len(c.tables), Bytes: total})

	// DDL is not transactional here: a schema phase an earlier run began
	// may have made some tables.
	tolerant := c.o.IntoExisting || schemaState == database.Started
	if err := c.phase(ctx, database.PhaseSchema, func() (string, error) {
		var created []string
		for _, t := range c.tables {
			if !c.existing[t.name] {
				created = append(created, t.name)
			}
		}
		if err := L.MarkCreated(ctx, created); err != nil {
			return "", err
		}
		return "", c.restore(ctx, []string{"--no-data", "--skip-triggers", "--skip-add-drop-table"}, tolerant)
	}); err != nil {
		return err
	}
	if len(c.res.Failures) > 0 {
		return nil
	}
	if err := c.data(ctx); err != nil {
		return err
	}
	if len(c.res.Failures) > 0 {
		return nil
	}
	c.res.Phases = append(c.res.Phases, database.PhaseData)
	postState, _ := L.Phase(database.PhasePostData)
	tolerant = c.o.IntoExisting || postState == database.Started
	if err := c.phase(ctx, database.PhasePostData, func() (string, error) {
		return "", c.restore(ctx, []string{"--no-data", "--no-create-info", "--triggers", "--routines", "--events"}, tolerant)
	}); err != nil {
		return err
	}
	if len(c.res.Failures) > 0 {
		return nil
	}
	if err := c.phase(ctx, database.PhaseSequences, func() (string, error) { return c.counters(ctx) }); err != nil {
		return err
	}
	if s, d := L.Phase(database.PhaseSequences); s == database.Done {
		c.res.Sequences, _ = strconv.Atoi(d)
	}
	if c.o.Online {
		if err := c.phase(ctx, database.PhaseReplication, func() (string, error) { return c.replicate(ctx) }); err != nil {
			return err
		}
	}
	return c.notes(ctx)
}

// replicate makes the target a replica of the source from the binary log
// position of the data's snapshot, for --online.
func (c *copier) replicate(ctx context.Context) (string, error) {
	st, detail := c.o.Ledger.Phase(database.PhaseBinlog)
	if st != database.Done {
		return "", errors.New("the dump gave no binary log position (is log_bin on at the source?): --online cannot start replication")
	}
	file, rest, ok := strings.Cut(strings.Fields(detail)[0], ":")
	pos, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil {
		return "", fmt.Errorf("the journal's binary log position %q does not parse", detail)
	}
	p := Position{File: file, Pos: pos}
	if err := StartReplica(ctx, c.dst, c.src, p, map[string]string{c.src.Database: c.dst.Database}); err != nil {
		return "", err
	}
	return "replica from " + p.String(), nil
}

// phase runs fn unless an earlier run did, as the PostgreSQL copy does.
func (c *copier) phase(ctx context.Context, name string, fn func() (string, error)) error {
	if s, _ := c.o.Ledger.Phase(name); s == database.Done {
		c.o.Emit(database.CopyEvent{Kind: database.EventPhaseSkipped, Phase: name})
		c.res.Phases = append(c.res.Phases, name)
		return nil
	}
	if err := c.o.Ledger.StartPhase(ctx, name); err != nil {
		return err
	}
	c.o.Emit(database.CopyEvent{Kind: database.EventPhase, Phase: name})
	detail, err := fn()
	if err != nil {
		var le *database.LedgerError
		if ctx.Err() != nil || errors.As(err, &le) {
			return err
		}
		c.res.Fail(name, err)
		c.o.Emit(database.CopyEvent{Kind: database.EventWarning, Phase: name, Reason: err.Error()})
		return nil
	}
	if err := c.o.Ledger.EndPhase(ctx, name, detail); err != nil {
		return err
	}
	c.o.Emit(database.CopyEvent{Kind: database.EventPhaseDone, Phase: name, Reason: detail})
	c.res.Phases = append(c.res.Phases, name)
	return nil
}

// querier is a pool or one session.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func listTables(ctx context.Context, db querier, schema string) ([]mtable, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, coalesce(DATA_LENGTH, 0), AUTO_INCREMENT FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []mtable
	for rows.Next() {
		var t mtable
		if err := rows.Scan(&t.name, &t.bytes, &t.auto); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (c *copier) checkTarget(ctx context.Context) error {
	var theirs []string
	for name := range c.existing {
		if !c.o.Ledger.Table(name).Created {
			theirs = append(theirs, name)
		}
	}
	slices.Sort(theirs)
	if len(theirs) == 0 {
		return nil
	}
	if !c.o.IntoExisting {
		return &database.TargetNotEmptyError{Target: c.dst.String(), Tables: theirs[:min(len(theirs), 5)], Count: len(theirs)}
	}
	var full []string
	for _, t := range c.tables {
		if !c.existing[t.name] || c.o.Ledger.Table(t.name).State != database.NotStarted {
			continue
		}
		var rows bool
		if err := c.dstDB.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+quote(t.name)+`)`).Scan(&rows); err != nil {
			return fmt.Errorf("target %s: look into %s: %w", c.dst, t.name, err)
		}
		if rows {
			full = append(full, t.name)
		}
	}
	if len(full) > 0 {
		return &database.TargetNotEmptyError{Target: c.dst.String(), Tables: full[:min(len(full), 5)], Count: len(full), Rows: true}
	}
	return nil
}

// findTools finds mariadb-dump and mariadb (or MySQL's mysqldump and
// mysql) in BinDir, else on PATH.
func (c *copier) findTools() error {
	look := func(names ...string) string {
		for _, n := range names {
			if c.o.BinDir != "" {
				p := filepath.Join(c.o.BinDir, n)
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					return p
				}
				continue
			}
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	c.dump, c.client = look("mariadb-dump", "mysqldump"), look("mariadb", "mysql")
	if c.dump == "" || c.client == "" {
		where := "on PATH"
		if c.o.BinDir != "" {
			where = "in " + c.o.BinDir
		}
		return &database.ToolMissingError{Tool: "mariadb-dump and mariadb", Package: "mariadb-client", Detail: where}
	}
	return nil
}

// optionFile writes the client programs' login for ep to a private file
// (never on a command line, where ps shows it). mariadb-dump takes no
// init-command, so its session is not made read-only; it only reads (a
// consistent-snapshot transaction, and SHOW MASTER STATUS).
func (c *copier) optionFile(ep database.Endpoint, side database.Side) (string, error) {
	cfg, err := config(ep, side)
	if err != nil {
		return "", err
	}
	host, port, _ := strings.Cut(cfg.Addr, ":")
	esc := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	var b strings.Builder
	fmt.Fprintf(&b, "[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\nprotocol=tcp\ndefault-character-set=utf8mb4\n", esc(cfg.User), esc(cfg.Passwd), esc(host), port)
	path := filepath.Join(c.tmp, string(side)+".cnf")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// exists are the client's error numbers for objects that already exist,
// which a tolerant restore keeps: table or view, procedure or function,
// trigger, event.
var exists = []string{"1050", "1304", "1359", "1537"}

var clientError = regexp.MustCompile(`^ERROR (\d+) \(\w+\)( at line \d+)?: (.*)$`)

// restore pipes a mariadb-dump of the source's database, with args, into
// the mariadb client at the target. The source database's name, where
// the dump qualifies names with it (views, triggers), becomes the
// target's.
func (c *copier) restore(ctx context.Context, args []string, tolerant bool) error {
	dump := exec.CommandContext(ctx, c.dump, append(append([]string{"--defaults-extra-file=" + c.srcCnf, "--single-transaction", "--skip-comments", "--skip-dump-date"}, args...), c.src.Database)...)
	cargs := []string{"--defaults-extra-file=" + c.dstCnf, "--batch"}
	if tolerant {
		cargs = append(cargs, "--force")
	}
	client := exec.CommandContext(ctx, c.client, append(cargs, c.dst.Database)...)
	out, err := dump.StdoutPipe()
	if err != nil {
		return err
	}
	var dumpErr strings.Builder
	dump.Stderr = &dumpErr
	in, err := client.StdinPipe()
	if err != nil {
		return err
	}
	var clientErr strings.Builder
	client.Stderr = &clientErr
	client.Stdout = io.Discard
	if err := client.Start(); err != nil {
		return fmt.Errorf("run %s: %w", c.client, err)
	}
	if err := dump.Start(); err != nil {
		in.Close()
		client.Wait()
		return fmt.Errorf("run %s: %w", c.dump, err)
	}
	r := bufio.NewReaderSize(out, 1<<20)
	from, to := quote(c.src.Database)+".", quote(c.dst.Database)+"."
	var copyErr error
	for {
		line, err := r.ReadString('\n')
		if from != to {
			line = strings.ReplaceAll(line, from, to)
		}
		if _, werr := io.WriteString(in, line); werr != nil && copyErr == nil {
			copyErr = werr
		}
		if err != nil {
			break
		}
	}
	in.Close()
	dumpWait, clientWait := dump.Wait(), client.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if dumpWait != nil {
		return fmt.Errorf("%s: %s", filepath.Base(c.dump), firstLine(dumpErr.String(), dumpWait))
	}
	var failed []string
	for _, line := range strings.Split(clientErr.String(), "\n") {
		m := clientError.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || tolerant && slices.Contains(exists, m[1]) {
			continue
		}
		failed = append(failed, m[3])
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("restore at the target: %s", failed[0])
	case clientWait != nil:
		return fmt.Errorf("%s at the target: %s", filepath.Base(c.client), firstLine(clientErr.String(), clientWait))
	case copyErr != nil:
		return copyErr
	}
	return nil
}

func firstLine(s string, err error) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return err.Error()
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

var (
	dataMarker = regexp.MustCompile("^-- Dumping data for table `((?:[^`]|``)+)`")
	binlogPos  = regexp.MustCompile(`^-- CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+);`)
	gtidPos    = regexp.MustCompile(`^-- SET GLOBAL gtid_slave_pos='([^']*)';`)
)

// section is one table's statements from the dump, on their way to a
// worker.
type section struct {
	name  string
	stmts chan string
	// ok tells, after the last statement, whether the section is whole:
	// the next table's began, or the dump ended without an error. A
	// section cut by a dying dump is never committed.
	ok chan bool
}

// data dumps the rows of every table not finished by an earlier run in
// one consistent snapshot and applies each table's statements at the
// target, Jobs tables at a time.
func (c *copier) data(ctx context.Context) error {
	L := c.o.Ledger
	var ignore []string
	want := map[string]bool{}
	for _, t := range c.tables {
		rec := L.Table(t.name)
		if rec.State == database.Done {
			c.res.Tables = append(c.res.Tables, database.TableCopy{Name: t.name, Rows: rec.Rows, Bytes: rec.Bytes, Earlier: true})
			c.o.Emit(database.CopyEvent{Kind: database.EventTableSkipped, Table: t.name, Rows: rec.Rows, Bytes: rec.Bytes})
			ignore = append(ignore, "--ignore-table="+c.src.Database+"."+t.name)
			continue
		}
		want[t.name] = true
	}
	if len(want) == 0 {
		return nil
	}
	args := []string{"--defaults-extra-file=" + c.srcCnf, "--single-transaction", "--quick", "--no-create-info", "--skip-triggers",
		"--hex-blob", "--skip-add-locks", "--skip-disable-keys", "--skip-dump-date", "--tz-utc"}
	if c.binlog {
		args = append(args, "--master-data=2", "--gtid")
	}
	args = append(append(args, ignore...), c.src.Database)
	dump := exec.CommandContext(ctx, c.dump, args...)
	out, err := dump.StdoutPipe()
	if err != nil {
		return err
	}
	var dumpErr strings.Builder
	dump.Stderr = &dumpErr
	if err := dump.Start(); err != nil {
		return fmt.Errorf("run %s: %w", c.dump, err)
	}

	var header []string
	var file, pos, gtid string
	var mu sync.Mutex
	seen := map[string]bool{}
	g, gctx := errgroup.WithContext(ctx)
	slots := make(chan struct{}, c.o.Jobs)
	var cur *section
	end := func(whole bool) {
		if cur != nil {
			close(cur.stmts)
			cur.ok <- whole
			cur = nil
		}
	}
	send := func(s string) error {
		select {
		case cur.stmts <- s:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	}
	r := bufio.NewReaderSize(out, 1<<20)
	var stmt strings.Builder
	var parseErr error
	for parseErr == nil {
		line, rerr := r.ReadString('\n')
		if len(line) > 0 {
			if err := c.throttle.Wait(gctx, len(line)); err != nil {
				parseErr = err
				break
			}
			trimmed := strings.TrimRight(line, "\n")
			switch {
			case stmt.Len() > 0 || strings.HasPrefix(trimmed, "INSERT INTO "):
				stmt.WriteString(line)
				if cur != nil {
					c.o.Emit(database.CopyEvent{Kind: database.EventBytes, Table: cur.name, N: int64(len(line))})
				}
				if strings.HasSuffix(trimmed, ";") {
					if cur == nil {
						parseErr = errors.New("the dump has rows outside a table's section")
						break
					}
					parseErr = send(stmt.String())
					stmt.Reset()
				}
			case dataMarker.MatchString(trimmed):
				end(true)
				name := strings.ReplaceAll(dataMarker.FindStringSubmatch(trimmed)[1], "``", "`")
				seen[name] = true
				if !want[name] {
					// A table the listing did not see (made meanwhile):
					// its rows go nowhere.
					cur = &section{name: name, stmts: make(chan string), ok: make(chan bool, 1)}
					go func(ch chan string) {
						for range ch {
						}
					}(cur.stmts)
					break
				}
				cur = &section{name: name, stmts: make(chan string, 4), ok: make(chan bool, 1)}
				select {
				case slots <- struct{}{}:
				case <-gctx.Done():
					parseErr = gctx.Err()
				}
				s := cur
				g.Go(func() error {
					defer func() { <-slots }()
					start := time.Now()
					rows, bytes, err := c.applyTable(gctx, s, header)
					for range s.stmts {
					}
					tc := database.TableCopy{Name: s.name, Rows: rows, Bytes: bytes, Seconds: time.Since(start).Seconds()}
					if err != nil {
						var le *database.LedgerError
						if gctx.Err() != nil || errors.As(err, &le) {
							return err
						}
						tc.Error = err.Error()
						c.o.Emit(database.CopyEvent{Kind: database.EventTableFailed, Table: s.name, Reason: err.Error()})
					} else {
						c.o.Emit(database.CopyEvent{Kind: database.EventTableDone, Table: s.name, Rows: rows, Bytes: bytes})
					}
					mu.Lock()
					c.res.Tables = append(c.res.Tables, tc)
					if err != nil {
						c.res.Fail(s.name, err)
					}
					mu.Unlock()
					return nil
				})
			case strings.HasPrefix(trimmed, "/*!") && len(seen) == 0:
				header = append(header, strings.TrimSpace(trimmed))
			case binlogPos.MatchString(trimmed):
				m := binlogPos.FindStringSubmatch(trimmed)
				file, pos = m[1], m[2]
			case gtidPos.MatchString(trimmed):
				gtid = gtidPos.FindStringSubmatch(trimmed)[1]
			}
		}
		if rerr != nil {
			break
		}
	}
	if parseErr != nil {
		dump.Process.Kill()
	}
	last := cur
	if last != nil {
		close(last.stmts)
	}
	dumpWait := dump.Wait()
	if last != nil {
		last.ok <- dumpWait == nil && parseErr == nil
	}
	waitErr := g.Wait()
	slices.SortFunc(c.res.Tables, func(a, b database.TableCopy) int { return strings.Compare(a.Name, b.Name) })
	switch {
	case waitErr != nil:
		return waitErr
	case ctx.Err() != nil:
		return ctx.Err()
	case parseErr != nil:
		c.res.Fail(database.PhaseData, parseErr)
		return nil
	case dumpWait != nil:
		c.res.Fail(database.PhaseData, fmt.Errorf("%s: %s", filepath.Base(c.dump), firstLine(dumpErr.String(), dumpWait)))
		return nil
	}
	for name := range want {
		if !seen[name] {
			c.res.Fail(name, errors.New("not in the source's dump (dropped during the copy?)"))
		}
	}
	if file != "" {
		detail := file + ":" + pos
		if gtid != "" {
			detail += " gtid " + gtid
		}
		if err := L.EndPhase(ctx, database.PhaseBinlog, detail); err != nil {
			return err
		}
	}
	return nil
}

// applyTable runs one table's statements at the target in one
// transaction, after the dump's session settings (character set, time
// zone, SQL mode, checks off).
func (c *copier) applyTable(ctx context.Context, s *section, header []string) (rows, bytes int64, err error) {
	L := c.o.Ledger
	rec := L.Table(s.name)
	truncate := false
	if rec.State == database.Started {
		if !rec.Created {
			return 0, 0, fmt.Errorf("was being copied when an earlier run stopped, and existed at the target before this job: sortie empties only the tables it created; empty it (TRUNCATE %s) and run again", quote(s.name))
		}
		truncate = true
	}
	conn, err := c.dstDB.Conn(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("target: %w", err)
	}
	defer conn.Close()
	for _, h := range header {
		if _, err := conn.ExecContext(ctx, strings.TrimSuffix(h, ";")); err != nil {
			return 0, 0, fmt.Errorf("target: %s: %w", h, err)
		}
	}
	if err := L.StartTable(ctx, s.name); err != nil {
		return 0, 0, err
	}
	c.o.Emit(database.CopyEvent{Kind: database.EventTableStarted, Table: s.name})
	if truncate {
		if _, err := conn.ExecContext(ctx, `TRUNCATE TABLE `+quote(s.name)); err != nil {
			return 0, 0, fmt.Errorf("target: empty the rows an earlier run left: %w", err)
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("target: %w", err)
	}
	defer tx.Rollback()
	for stmt := range s.stmts {
		r, err := tx.ExecContext(ctx, strings.TrimSuffix(strings.TrimRight(stmt, "\n"), ";"))
		if err != nil {
			return rows, bytes, fmt.Errorf("target: %w", err)
		}
		n, _ := r.RowsAffected()
		rows += n
		bytes += int64(len(stmt))
	}
	if err := ctx.Err(); err != nil {
		return rows, bytes, err
	}
	if !<-s.ok {
		return rows, bytes, errors.New("the dump ended before this table's rows did")
	}
	if err := tx.Commit(); err != nil {
		return rows, bytes, fmt.Errorf("target: commit: %w", err)
	}
	return rows, bytes, L.EndTable(ctx, s.name, rows, bytes)
}

// counters sets each table's AUTO_INCREMENT at the target to the source's
// (rows deleted at the end of a table leave the source's counter above
// what the rows imply).
func (c *copier) counters(ctx context.Context) (string, error) {
	now, err := listTables(ctx, c.srcConn, c.src.Database)
	if err != nil {
		return "", fmt.Errorf("source: %w", err)
	}
	n := 0
	for _, t := range now {
		if !t.auto.Valid {
			continue
		}
		if _, err := c.dstDB.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", quote(t.name), t.auto.Int64)); err != nil {
			return "", fmt.Errorf("target: %s: %w", t.name, err)
		}
		n++
	}
	return strconv.Itoa(n), nil
}

// notes says what the operator must still do: events that now run at the
// target too, definers the target lacks, the binlog position.
func (c *copier) notes(ctx context.Context) error {
	if s, d := c.o.Ledger.Phase(database.PhaseBinlog); s == database.Done {
		c.res.BinlogPosition = d
		c.res.Note("binlog-recorded", d)
	} else {
		c.res.Note("binlog-none")
	}
	events, err := strs(ctx, c.srcConn, `SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? AND STATUS = 'ENABLED' ORDER BY 1`, c.src.Database)
	if err != nil {
		return fmt.Errorf("source: list the events: %w", err)
	}
	if len(events) > 0 {
		c.res.Note("events-copied", strings.Join(events, ", "))
	}
	definers, err := strs(ctx, c.srcConn, `SELECT DISTINCT d FROM (
		SELECT DEFINER d FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?
		UNION SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?
		UNION SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
		UNION SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) x ORDER BY 1`,
		c.src.Database, c.src.Database, c.src.Database, c.src.Database)
	if err != nil {
		return fmt.Errorf("source: list the definers: %w", err)
	}
	// Accounts the target has, when the login may read them.
	have := map[string]bool{}
	if accounts, err := strs(ctx, c.dstDB, `SELECT CONCAT(User, '@', Host) FROM mysql.user`); err == nil {
		for _, a := range accounts {
			have[a] = true
		}
	}
	var missing []string
	for _, d := range definers {
		if !have[d] {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		c.res.Note("definers", strings.Join(missing, ", "))
	}
	if c.res.Resumed {
		c.res.Note("resumed-snapshot")
	}
	if c.o.Online {
		c.res.Note("online", c.o.ReplicationName, c.res.Source, c.res.Target)
	} else {
		c.res.Note("verify", c.res.Source, c.res.Target)
	}
	return nil
}

func strs(ctx context.Context, db querier, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
