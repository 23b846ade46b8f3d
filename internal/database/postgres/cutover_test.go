package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
)

// The cut-over of a move under way, with a writer at the source until the
// freeze: the target catches up, its sequences are set, the final verify
// finds both sides identical, the replication is removed, and the first
// insert at the target after the cut-over takes the next value of each
// sequence without colliding.
func TestCutover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const name = "sortie_test_cutover"
	m := startOnline(t, ctx, name)
	t.Cleanup(func() {
		postgres.Thaw(context.Background(), conn(t, context.Background(), m.srcServer.URL(m.src.Database)))
	})
	r := &postgres.Replication{Src: m.src, Dst: m.dst, Name: name, Poll: 50 * time.Millisecond}
	go func() { time.Sleep(300 * time.Millisecond); m.w.stop() }() // the freeze ends the writer's session anyway
	res, err := database.Cutover(ctx, r, database.CutoverOptions{Freeze: true, Verify: m.verify}, m.src, m.dst)
	var out strings.Builder
	res.Write(&out, "text", lang.French)
	t.Logf("%s", out.String())
	if err != nil || !res.Done {
		t.Fatalf("cutover: %v\n%s", err, out.String())
	}
	if m.w.stop() < 50 {
		t.Errorf("the writer made only %d writes", m.w.n)
	}
	for _, want := range []string{"gel", "rattrapage", "IDENTI", "BASCULE FAITE", "lecture seule"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	// The first inserts at the target after the cut-over.
	d := conn(t, ctx, m.dstServer.URL(m.dst.Database))
	if _, err := d.Exec(ctx, `INSERT INTO accounts (n, note) VALUES (1, 'après la bascule')`); err != nil {
		t.Errorf("first insert into accounts (serial) at the target: %v", err)
	}
	if _, err := d.Exec(ctx, `INSERT INTO events (account, v) VALUES (1, '{}')`); err != nil {
		t.Errorf("first insert into events (identity) at the target: %v", err)
	}
	var left int
	if err := d.QueryRow(ctx, `SELECT count(*) FROM pg_subscription`).Scan(&left); err != nil || left != 0 {
		t.Errorf("subscriptions left at the target: %d, %v", left, err)
	}
}

// A cut-over whose final verify finds a difference stops before the
// replication is removed: the target is not declared the new home.
func TestCutoverStopsOnADifference(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const name = "sortie_test_cutover_diff"
	m := startOnline(t, ctx, name)
	m.w.stop()
	// A row the target has and the source never had: replication does
	// not touch it.
	m.dstServer.Exec(t, m.dst.Database, `INSERT INTO kept_full VALUES (-1, 'only at the target')`)
	r := &postgres.Replication{Src: m.src, Dst: m.dst, Name: name, Poll: 50 * time.Millisecond}
	res, err := database.Cutover(ctx, r, database.CutoverOptions{Verify: m.verify}, m.src, m.dst)
	if err == nil || res.Done || res.Steps[len(res.Steps)-1].Step != "verify" {
		t.Fatalf("cutover over a difference: %v, %+v", err, res.Steps)
	}
	if _, err := postgres.ReplicationLag(ctx, conn(t, ctx, m.srcServer.URL(m.src.Database)), name); err != nil {
		t.Errorf("the slot is gone after a failed cut-over: %v", err)
	}
	if !strings.Contains(res.Summary(lang.English), "NOT CUT OVER: stopped at final verify") {
		t.Errorf("summary %q", res.Summary(lang.English))
	}
}

// verify compares the move's two databases as db verify does.
func (m *onlineMove) verify(ctx context.Context) (*database.VerifyReport, error) {
	s, err := postgres.OpenVerifier(ctx, m.src, database.Source, 2)
	if err != nil {
		return nil, err
	}
	defer s.Close(ctx)
	d, err := postgres.OpenVerifier(ctx, m.dst, database.Target, 2)
	if err != nil {
		return nil, err
	}
	defer d.Close(ctx)
	return database.Verify(ctx, s, d, database.VerifyOptions{})
}
