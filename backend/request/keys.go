package request

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Keys this package owns. Lists are served from the index keys below, never
// by scanning requests: each list is one prefix, newest activity first,
// because the time in the key is inverted.
const (
	keyGroup        = "rq/g/"  // rq/g/<id> → Group
	keyProjectGroup = "rq/pg/" // rq/pg/<project>/<id> → empty
	keyType         = "rq/t/"  // rq/t/<id> → Type
	keyProjectType  = "rq/pt/" // rq/pt/<project>/<id> → empty
	keyTypeUse      = "rq/tu/" // rq/tu/<type>/<request> → empty: requests of a type
	keyWorkflow     = "rq/wf/" // rq/wf/<project> → Workflow
	keyRequest      = "rq/r/"  // rq/r/<id> → Request
	keyRequestKey   = "rq/k/"  // rq/k/<project>/<number> → request id
	keyEvent        = "rq/e/"  // rq/e/<request>/<%08d n> → Event
	keyNotify       = "rq/nt/" // rq/nt/<request>/<account> → "1" on / "0" off (absent: the default)
	keyAttachment   = "rq/at/" // rq/at/<id> → Attachment
	keyBlob         = "rq/ab/" // rq/ab/<id> → the file's bytes
	keyUpload       = "rq/up/" // rq/up/<%020d expiry unix>/<id> → empty: temporary uploads, oldest first
	keyByAccount    = "rq/iu/" // rq/iu/<account>/<o|d>/<inv updated>/<id> → entry: reporter or participant
	keyByOrg        = "rq/io/" // rq/io/<org>/<o|d>/<inv updated>/<id> → entry
	keyQueue        = "rq/q/"  // rq/q/<project>/<queue>/<u|c>/<inv updated|created>/<id> → entry: one list per agent queue and order
	keyCount        = "rq/n/"  // rq/n/<project>/<queue> or rq/n/<project>/mine/<account> → count
	seqRequest      = "request"
	seqType         = "request-type"
	seqGroup        = "request-group"
	seqAttachment   = "attachment"
)

func u(id uint64) string { return strconv.FormatUint(id, 10) }

func seqProjectKey(project uint64) string { return "request-key/" + u(project) }

// inv orders keys newest first: the inverted time in microseconds, fixed width.
func inv(t time.Time) string {
	return fmt.Sprintf("%016x", uint64(math.MaxUint64)-uint64(t.UnixMicro()))
}

func eventKey(req uint64, n int) string { return keyEvent + u(req) + "/" + fmt.Sprintf("%08d", n) }
