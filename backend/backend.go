// Package backend is the composition root: the one place that knows every
// domain package and wires them to one store.
package backend

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/fulltext"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kb"
	"portico/backend/kv"
	"portico/backend/mail"
	"portico/backend/request"
)

// Config is everything Open needs.
type Config struct {
	DataDir string
	Logger  zerolog.Logger
	// Identity tunes password cost, session lifetime and login limits;
	// tests make hashing cheap here.
	Identity identity.Options
	// HoldIndex keeps the text-index worker from applying its outbox:
	// tests use it to stand for a crash between a commit and the index.
	HoldIndex bool
}

// Backend holds the open store and the domain services.
type Backend struct {
	KV         *kv.DB
	Identity   *identity.Service
	HelpCenter *helpcenter.Service
	Outbox     *mail.Outbox
	Requests   *request.Service
	Index      *fulltext.Engine
	KB         *kb.Service
	log        zerolog.Logger
	bg         sync.WaitGroup // work queued by later
	stop       chan struct{}  // ends the cleanup loop
}

// Open opens the data directory and builds the services on it.
func Open(cfg Config) (*Backend, error) {
	db, err := kv.Open(kv.Options{Dir: cfg.DataDir, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	ids, err := identity.New(db, cfg.Logger, cfg.Identity)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("backend: identity: %w", err)
	}
	b := &Backend{
		KV:         db,
		Identity:   ids,
		HelpCenter: helpcenter.New(db),
		Outbox:     mail.NewOutbox(db),
		log:        cfg.Logger,
		stop:       make(chan struct{}),
	}
	b.Requests = request.New(db, nil, b.HelpCenter, ids, cfg.Logger)
	b.KB = kb.New(db, b.HelpCenter, ids, b.Requests, cfg.Logger)
	b.Index, err = fulltext.Open(db, fulltext.Options{Dir: filepath.Join(cfg.DataDir, "index"), Logger: cfg.Logger, Hold: cfg.HoldIndex},
		b.Requests.Source(), b.KB.Source())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("backend: text index: %w", err)
	}
	b.Requests.SetIndex(b.Index)
	b.KB.SetIndex(b.Index)
	b.HelpCenter.OnLanguage = func(string) {
		b.KB.LanguageChanged()
		if err := b.Index.Reindex(kb.IndexName); err != nil {
			b.log.Warn().Err(err).Msg("rebuilding the knowledge base index for a new language")
		}
	}
	b.HelpCenter.OnCreate = func(tx *kv.Tx, p helpcenter.Project) error { return request.SeedTx(tx, p.ID) }
	b.Requests.NewAccount = func(ctx context.Context, a identity.Account) {
		if err := b.queueLink(ctx, a, identity.Invite); err != nil {
			b.log.Error().Err(err).Uint64("account", a.ID).Msg("queueing a set-password link")
		}
	}
	if err := b.Requests.SeedMissing(context.Background()); err != nil {
		b.Index.Close()
		db.Close()
		return nil, fmt.Errorf("backend: request types: %w", err)
	}
	b.Index.Start()
	b.KB.Start()
	b.bg.Add(1)
	go b.cleanup()
	return b, nil
}

// cleanup drops temporary uploads nobody used, now and then.
func (b *Backend) cleanup() {
	defer b.bg.Done()
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := b.Requests.DropExpiredUploads(context.Background()); err != nil {
			b.log.Warn().Err(err).Msg("dropping expired uploads")
		} else if n > 0 {
			b.log.Info().Int("uploads", n).Msg("dropped expired uploads")
		}
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
	}
}

// Close waits for queued background work, then releases the data directory.
func (b *Backend) Close() error {
	close(b.stop)
	b.bg.Wait()
	b.KB.Close()
	if err := b.Index.Close(); err != nil {
		b.log.Warn().Err(err).Msg("closing the text index")
	}
	return b.KV.Close()
}

// Audience is onboarding's one question: who is this help center for?
type Audience string

const (
	// AudienceAdded: only people we add. No signup; the first portal is Restricted.
	AudienceAdded Audience = "added"
	// AudienceAccounts: anyone with an account; people may sign up. Open portal.
	AudienceAccounts Audience = "accounts"
	// AudienceAnyone: anyone, even without logging in. Open portal.
	AudienceAnyone Audience = "anyone"
)

// SetupChoices are onboarding's answers beyond the owner's account.
type SetupChoices struct {
	HelpCenterName string
	Audience       Audience
	// PortalName and PortalKey create the first service project when set.
	PortalName string
	PortalKey  string
}

func (a Audience) settings() (access.Site, access.Channel, bool) {
	switch a {
	case AudienceAdded, "":
		return access.Site{}, access.Restricted, true
	case AudienceAccounts:
		return access.Site{Signup: true}, access.Open, true
	case AudienceAnyone:
		return access.Site{Signup: true, Anonymous: true}, access.Open, true
	}
	return access.Site{}, "", false
}

// Setup claims the instance: it names the help center, sets who it is for,
// makes the first portal and the first admin, its owner. Everything is
// checked before anything is stored.
func (b *Backend) Setup(ctx context.Context, claim identity.Claim, ch SetupChoices, owner identity.NewAccount) (identity.Account, error) {
	if err := b.Identity.CheckClaim(ctx, claim); err != nil {
		return identity.Account{}, err
	}
	helpCenterName := strings.TrimSpace(ch.HelpCenterName)
	if helpCenterName == "" {
		helpCenterName = helpcenter.DefaultName
	}
	bad := map[string]string{}
	if msg := helpcenter.CheckName(helpCenterName); msg != "" {
		bad["helpCenterName"] = msg
	}
	site, channel, ok := ch.Audience.settings()
	if !ok {
		bad["audience"] = "Choose who this help center is for."
	}
	portalKey := strings.ToUpper(strings.TrimSpace(ch.PortalKey))
	if strings.TrimSpace(ch.PortalName) != "" {
		if msg := helpcenter.CheckKey(portalKey); msg != "" {
			bad["portalKey"] = msg
		}
	}
	if _, err := b.Identity.Validate(owner); err != nil {
		fe := fault.As(err)
		if fe == nil || fe.Kind != fault.Invalid {
			return identity.Account{}, err
		}
		for k, v := range fe.Fields {
			bad[k] = v
		}
	}
	if len(bad) > 0 {
		return identity.Account{}, fault.InvalidFields(bad)
	}
	// The owner first: its transaction re-checks the claim, so of two
	// racing setups only the winner goes on to write the settings.
	a, err := b.Identity.Setup(ctx, claim, owner)
	if err != nil {
		return a, err
	}
	if _, err := b.HelpCenter.Configure(ctx, helpcenter.Patch{Name: &helpCenterName, Access: &site}); err != nil {
		return a, err
	}
	if name := strings.TrimSpace(ch.PortalName); name != "" {
		_, err := b.HelpCenter.FirstProject(ctx, helpcenter.ProjectInput{Key: &portalKey, Name: &name, Channel: &channel})
		if err != nil {
			b.log.Error().Err(err).Msg("setup: creating the first portal")
		}
	}
	return a, nil
}

// Bootstrap creates the owner from PORTICO_ADMIN_* settings, for scripts and
// CI; on an instance that already has an owner it changes nothing.
func (b *Backend) Bootstrap(ctx context.Context, helpCenterName string, owner identity.NewAccount) error {
	has, err := b.Identity.HasOwner(ctx)
	if err != nil {
		return err
	}
	if !has && strings.TrimSpace(helpCenterName) != "" {
		if msg := helpcenter.CheckName(helpCenterName); msg != "" {
			return fault.Invalidf("PORTICO_HELP_CENTER_NAME: %s", msg)
		}
		if _, err := b.HelpCenter.Name(ctx, helpCenterName); err != nil {
			return err
		}
	}
	created, same, err := b.Identity.Bootstrap(ctx, owner)
	switch {
	case err != nil:
		if fe := fault.As(err); fe != nil && len(fe.Fields) > 0 {
			return fmt.Errorf("PORTICO_ADMIN_*: %v", fe.Fields)
		}
		return err
	case created:
		b.log.Info().Msg("owner created from PORTICO_ADMIN_EMAIL")
	case !same:
		b.log.Warn().Msg("PORTICO_ADMIN_EMAIL names someone other than the owner; the instance is already set up, so it was ignored")
	}
	return nil
}
