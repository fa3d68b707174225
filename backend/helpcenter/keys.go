package helpcenter

const (
	keySettings   = "hc/settings" // → stored
	keyProject    = "hc/p/"       // hc/p/<id> → Project
	keyProjectKey = "hc/pk/"      // hc/pk/<KEY> → project id
	keyCustomer   = "hc/pc/"      // hc/pc/<project>/<account> → empty: direct customers
	keyCustomerOf = "hc/cp/"      // hc/cp/<account>/<project> → empty
	keyProjectOrg = "hc/po/"      // hc/po/<project>/<org> → empty: attached organizations
	keyOrgProject = "hc/op/"      // hc/op/<org>/<project> → empty
	keyRule       = "hc/dr/"      // hc/dr/<project>/<domain> → Rule
	keyRuleDomain = "hc/rd/"      // hc/rd/<domain>/<project> → empty
	keyAgent      = "hc/ag/"      // hc/ag/<project>/<account> → empty: assigned agents
	keyAgentOf    = "hc/ga/"      // hc/ga/<account>/<project> → empty
	seqProject    = "project"
)
