package identity

const (
	keyAccount      = "id/a/"     // id/a/<id> → Account
	keyEmail        = "id/e/"     // id/e/<lower-case email> → account id
	keyDomain       = "id/d/"     // id/d/<lower-case domain>/<id> → empty; accounts by email domain
	keySession      = "id/s/"     // id/s/<sha256 hex of token> → session
	keyAcctSessions = "id/as/"    // id/as/<account id>/<sha256 hex> → empty; lists an account's sessions
	keyOwner        = "id/owner"  // → account id of the owner
	keySetup        = "id/setup"  // → sha256 hex of the current one-time setup token
	keyPassToken    = "id/pt/"    // id/pt/<sha256 hex> → passToken (set-password links)
	keyAcctLinks    = "id/pl/"    // id/pl/<account id>/<sha256 hex> → empty; an account's links
	keyOrg          = "id/o/"     // id/o/<id> → Org
	keyOrgName      = "id/on/"    // id/on/<lower-case name> → org id
	keyOrgMember    = "id/om/"    // id/om/<org>/<account> → empty
	keyMemberOrg    = "id/mo/"    // id/mo/<account>/<org> → empty
	keyAPIToken     = "id/k/"     // id/k/<sha256 hex of token> → apiToken
	keyAcctTokens   = "id/ak/"    // id/ak/<account id>/<token id> → sha256 hex; an account's API tokens
	keyLayout       = "id/layout" // → version of identity's own indexes (see upgrade)
	seqAccount      = "account"
	seqOrg          = "organization"
	seqAPIToken     = "api-token"
)
