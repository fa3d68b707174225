package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, ""},
		{"plain error", errors.New("disk on fire"), Internal},
		{"fault error", Forbid("no", ""), Forbidden},
		{"wrapped fault", fmt.Errorf("identity: login: %w", NotFoundf("no such account")), NotFound},
		{"fault with cause", Invalidf("bad").Wrap(errors.New("cause")), Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := KindOf(tc.err); got != tc.want {
				t.Errorf("KindOf(%v) = %q; want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestIsMatchesKindOnly(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", Conflictf("email %s taken", "a@b.c"))
	if !errors.Is(err, &Error{Kind: Conflict}) {
		t.Errorf("errors.Is(conflict error, Conflict kind) = false; want true")
	}
	if errors.Is(err, &Error{Kind: NotFound}) {
		t.Errorf("errors.Is(conflict error, NotFound kind) = true; want false")
	}
}

func TestWrapKeepsCauseForLogsOnly(t *testing.T) {
	cause := errors.New("badger: txn too big")
	err := Invalidf("too much").Wrap(cause)
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(wrapped, cause) = false; want true")
	}
	if err.Message != "too much" {
		t.Errorf("Message = %q; want the original message", err.Message)
	}
}
