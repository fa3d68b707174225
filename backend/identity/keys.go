package identity

const (
	keyAccount      = "id/a/"    // id/a/<id> → Account
	keyEmail        = "id/e/"    // id/e/<lower-case email> → account id
	keySession      = "id/s/"    // id/s/<sha256 hex of token> → session
	keyAcctSessions = "id/as/"   // id/as/<account id>/<sha256 hex> → empty; lists an account's sessions
	keyOwner        = "id/owner" // → account id of the owner
	keySetup        = "id/setup" // → sha256 hex of the current one-time setup token
	seqAccount      = "account"
)
