package helpcenter_test

import (
	"context"
	"testing"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/kv/kvtest"
)

var ctx = context.Background()

var (
	admin    = access.Caller{AccountID: 1, Role: access.Admin, Active: true}
	agent    = access.Caller{AccountID: 2, Role: access.Agent, Active: true}
	customer = access.Caller{AccountID: 3, Role: access.Customer, Active: true}
	gone     = access.Caller{AccountID: 4, Role: access.Admin, Active: false}
)

func ptr(s string) *string { return &s }

func TestDefaults(t *testing.T) {
	s := helpcenter.New(kvtest.Open(t))
	got, _ := s.Get(ctx)
	if got.Name != helpcenter.DefaultName || got.PortalURL != "" {
		t.Errorf("Get() on a new instance = %+v; want default name and no address", got)
	}
	s.SetAddresses([]string{"http://192.168.1.5:8480/", "http://10.0.0.2:8480/"})
	if got, _ := s.Get(ctx); got.PortalURL != "http://192.168.1.5:8480/" {
		t.Errorf("PortalURL with no choice made = %q; want the first LAN address", got.PortalURL)
	}
}

func TestUpdatePermissions(t *testing.T) {
	s := helpcenter.New(kvtest.Open(t))
	for _, tc := range []struct {
		name string
		who  access.Caller
		want fault.Kind
	}{
		{"admin", admin, ""},
		{"agent", agent, fault.Forbidden},
		{"customer", customer, fault.Forbidden},
		{"deactivated admin", gone, fault.Forbidden},
		{"nobody", access.Caller{}, fault.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Update(ctx, tc.who, helpcenter.Patch{Name: ptr("Desk of " + tc.name)})
			if got := fault.KindOf(err); got != tc.want {
				t.Errorf("Update(who=%s) = %v; want %q", tc.name, err, tc.want)
			}
		})
	}
	if got, _ := s.Get(ctx); got.Name != "Desk of admin" {
		t.Errorf("name = %q; only the admin's change should have landed", got.Name)
	}
}

func TestUpdateValidates(t *testing.T) {
	s := helpcenter.New(kvtest.Open(t))
	s.SetAddresses([]string{"http://192.168.1.5:8480/"})
	for _, tc := range []struct {
		name  string
		patch helpcenter.Patch
		field string
	}{
		{"empty name", helpcenter.Patch{Name: ptr("  ")}, "name"},
		{"long name", helpcenter.Patch{Name: ptr(string(make([]rune, 101)))}, "name"},
		{"ftp url", helpcenter.Patch{PortalURL: ptr("ftp://x/")}, "portalUrl"},
		{"relative url", helpcenter.Patch{PortalURL: ptr("/portal")}, "portalUrl"},
		{"url with query", helpcenter.Patch{PortalURL: ptr("http://x/?a=1")}, "portalUrl"},
		{"url with credentials", helpcenter.Patch{PortalURL: ptr("http://u:p@x/")}, "portalUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Update(ctx, admin, tc.patch)
			if fe := fault.As(err); fe == nil || fe.Kind != fault.Invalid || fe.Fields[tc.field] == "" {
				t.Errorf("Update(%s) = %v; want invalid with a message for %s", tc.name, err, tc.field)
			}
		})
	}
	got, err := s.Update(ctx, admin, helpcenter.Patch{PortalURL: ptr(" http://helpdesk.lan:8480 ")})
	if err != nil || got.PortalURL != "http://helpdesk.lan:8480/" {
		t.Errorf("Update(valid url) = %+v, %v; want it normalised with a trailing slash", got, err)
	}
	got, _ = s.Update(ctx, admin, helpcenter.Patch{PortalURL: ptr("")})
	if got.PortalURL != "http://192.168.1.5:8480/" {
		t.Errorf("after clearing, PortalURL = %q; want the default address back", got.PortalURL)
	}
}
