package console

import (
	"cmp"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// Caps on what one page reads, so a page stays quick whatever the tenant
// holds; a page that reaches one says so.
const (
	maxPersonConversations = 1000
	maxReceiptDeletions    = 10000
	maxDashboardDeletions  = 5000
	dashboardDays          = 14
)

// personView is what the console shows of one end user.
type personView struct {
	UserID        string
	Conversations []convRow
	Agents        []agentRow // per agent and door, by agent then door
	Doors         []agentRow // per door (AgentID empty), by door
	Total         agentRow
	Truncated     bool
	Held          int  // conversations under a legal hold
	HeldKnown     bool // false when the store cannot tell
}

type convRow struct {
	*convstore.Conversation
	Attachments int
	Bytes       int64
	HoldID      convstore.ID // the hold that covers it, if any
}

// agentRow sums up the conversations of one agent through one door (or
// of one door, or all).
type agentRow struct {
	AgentID, Door                        string
	Conversations, Messages, Attachments int
	Bytes                                int64
}

// find resolves a search by user id, external id or conversation id.
func (d *Door) find(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	by := r.URL.Query().Get("by")
	if q == "" {
		return d.render(w, r, http.StatusOK, "find", d.page(r, "Find a person", "find", nil))
	}
	tenant := convhttp.Tenant(r)
	var c *convstore.Conversation
	var err error
	switch by {
	case "user":
		return seeOther(w, r, "/people?user_id="+url.QueryEscape(q))
	case "external":
		c, err = d.store.FindConversationByExternalID(r.Context(), tenant, q)
	case "conversation":
		var id convstore.ID
		if id, err = convstore.ParseID(convstore.PrefixConversation, "q", q); err == nil {
			c, err = d.store.FindConversationByID(r.Context(), tenant, id)
		}
	default:
		return convstore.Invalidf("by", "by must be user, external or conversation")
	}
	switch convstore.ErrorCode(err) {
	case "":
	case convstore.ENOTFOUND:
		v := d.page(r, "Find a person", "find", map[string]string{"Q": q, "By": by, "Error": "Nothing was found for that " + byName(by) + "."})
		return d.render(w, r, http.StatusNotFound, "find", v)
	case convstore.EINVALID:
		v := d.page(r, "Find a person", "find", map[string]string{"Q": q, "By": by, "Error": "That is not a " + byName(by) + ": " + convstore.ErrorMessage(err)})
		return d.render(w, r, http.StatusUnprocessableEntity, "find", v)
	default:
		return err
	}
	if c.UserID != "" {
		return seeOther(w, r, "/people?user_id="+url.QueryEscape(c.UserID))
	}
	return seeOther(w, r, "/conversations/"+c.ID.Format(convstore.PrefixConversation))
}

func byName(by string) string {
	switch by {
	case "external":
		return "external id"
	case "conversation":
		return "conversation id"
	}
	return "user id"
}

// person shows everything held about one end user, per agent and door.
func (d *Door) person(w http.ResponseWriter, r *http.Request) error {
	user := r.URL.Query().Get("user_id")
	if user == "" {
		return convstore.Invalidf("user_id", "user_id is required")
	}
	if len(user) > convstore.MaxExternalLen {
		return convstore.Invalidf("user_id", "user_id is at most %d bytes", convstore.MaxExternalLen)
	}
	tenant := convhttp.Tenant(r)
	p := &personView{UserID: user}
	f := convstore.ConversationFilter{UserID: user}
	f.Limit = convstore.MaxPageLimit
	agents := map[[2]string]*agentRow{}
	doors := map[string]*agentRow{}
	for {
		list, more, err := d.store.FindConversations(r.Context(), tenant, f)
		if err != nil {
			return err
		}
		for _, c := range list {
			row := convRow{Conversation: c}
			if err := d.eachAttachment(r, tenant, c.ID, func(a *convstore.Attachment) {
				row.Attachments++
				row.Bytes += a.Size
			}); err != nil {
				return err
			}
			p.Conversations = append(p.Conversations, row)
			a := agents[[2]string{c.AgentID, c.Door}]
			if a == nil {
				a = &agentRow{AgentID: c.AgentID, Door: c.Door}
				agents[[2]string{c.AgentID, c.Door}] = a
			}
			dr := doors[c.Door]
			if dr == nil {
				dr = &agentRow{Door: c.Door}
				doors[c.Door] = dr
			}
			for _, t := range []*agentRow{a, dr, &p.Total} {
				t.Conversations++
				t.Messages += c.MessageCount
				t.Attachments += row.Attachments
				t.Bytes += row.Bytes
			}
		}
		if !more || len(list) == 0 {
			break
		}
		if len(p.Conversations) >= maxPersonConversations {
			p.Truncated = true
			break
		}
		f.After = list[len(list)-1].ID
	}
	for _, a := range agents {
		p.Agents = append(p.Agents, *a)
	}
	for _, a := range doors {
		p.Doors = append(p.Doors, *a)
	}
	byAgentDoor := func(a, b agentRow) int {
		return cmp.Or(strings.Compare(a.AgentID, b.AgentID), strings.Compare(a.Door, b.Door))
	}
	slices.SortFunc(p.Agents, byAgentDoor)
	slices.SortFunc(p.Doors, byAgentDoor)
	known, err := d.markHeld(r, tenant, p.Conversations)
	if err != nil {
		return err
	}
	p.HeldKnown = known
	for _, c := range p.Conversations {
		if !c.HoldID.IsZero() {
			p.Held++
		}
	}
	return d.render(w, r, http.StatusOK, "person", d.page(r, "Person "+user, "find", p))
}

// markHeld sets the hold of every held conversation in rows, and reports
// whether the store could tell (the service tier can).
func (d *Door) markHeld(r *http.Request, tenant convstore.ID, rows []convRow) (bool, error) {
	hf, ok := d.store.(convstore.HeldFinder)
	if !ok {
		return false, nil
	}
	for start := 0; start < len(rows); start += convstore.MaxHeldBatch {
		end := min(len(rows), start+convstore.MaxHeldBatch)
		ids := make([]convstore.ID, 0, end-start)
		for _, c := range rows[start:end] {
			ids = append(ids, c.ID)
		}
		held, err := hf.FindHeldConversations(r.Context(), tenant, ids)
		if convstore.ErrorCode(err) == convstore.EUNSUPPORTED {
			return false, nil
		} else if err != nil {
			return false, err
		}
		for i := start; i < end; i++ {
			rows[i].HoldID = held[rows[i].ID]
		}
	}
	return true, nil
}

func (d *Door) eachAttachment(r *http.Request, tenant, conv convstore.ID, fn func(*convstore.Attachment)) error {
	var f convstore.AttachmentFilter
	f.Limit = convstore.MaxPageLimit
	for {
		list, more, err := d.store.FindAttachments(r.Context(), tenant, conv, f)
		if err != nil {
			return err
		}
		for _, a := range list {
			fn(a)
		}
		if !more || len(list) == 0 {
			return nil
		}
		f.After = list[len(list)-1].ID
	}
}

// conversationView is one conversation with its content.
type conversationView struct {
	C           *convstore.Conversation
	Messages    []*convstore.Message
	More        bool
	Attachments []*convstore.Attachment
	MetaKeys    []string
}

const conversationMessages = 500

func (d *Door) conversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id", convstore.PrefixConversation)
	if err != nil {
		return err
	}
	tenant := convhttp.Tenant(r)
	c, err := d.store.FindConversationByID(r.Context(), tenant, id)
	if err != nil {
		return err
	}
	v := &conversationView{C: c}
	var mf convstore.MessageFilter
	mf.Limit = convstore.MaxPageLimit
	mf.Order = convstore.OrderAsc
	for len(v.Messages) < conversationMessages {
		list, more, err := d.store.FindMessages(r.Context(), tenant, id, mf)
		if err != nil {
			return err
		}
		v.Messages = append(v.Messages, list...)
		v.More = more
		if !more || len(list) == 0 {
			break
		}
		mf.After = list[len(list)-1].ID
	}
	if err := d.eachAttachment(r, tenant, id, func(a *convstore.Attachment) { v.Attachments = append(v.Attachments, a) }); err != nil {
		return err
	}
	for k := range c.Metadata {
		v.MetaKeys = append(v.MetaKeys, k)
	}
	slices.Sort(v.MetaKeys)
	return d.render(w, r, http.StatusOK, "conversation", d.page(r, "Conversation", "find", v))
}

// deleteConversation deletes one conversation after a typed confirmation.
func (d *Door) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id", convstore.PrefixConversation)
	if err != nil {
		return err
	}
	if r.PostForm.Get("confirm") != "delete" {
		return convstore.Invalidf("confirm", "type delete to confirm")
	}
	del, err := d.store.DeleteConversation(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return seeOther(w, r, "/deletions?deleted="+del.ID.Format(convstore.PrefixDeletion))
}

// erasures lists the tenant's erasure jobs.
func (d *Door) erasures(w http.ResponseWriter, r *http.Request) error {
	var f convstore.ErasureFilter
	f.Limit = convstore.MaxPageLimit
	list, more, err := d.store.FindErasures(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return d.render(w, r, http.StatusOK, "erasures", d.page(r, "Erasure jobs", "erasures", map[string]any{"Jobs": list, "More": more}))
}

// createErasure starts a dry run (preview) or, after the typed
// confirmation of the user id, the erasure itself.
func (d *Door) createErasure(w http.ResponseWriter, r *http.Request) error {
	user := r.PostForm.Get("user_id")
	dry := r.PostForm.Get("mode") != "erase"
	if !dry && r.PostForm.Get("confirm") != user {
		return convstore.Invalidf("confirm", "the confirmation must be the user id, typed exactly")
	}
	c := &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: user}, DryRun: dry}
	if err := c.Validate(); err != nil {
		return err
	}
	e, err := d.store.CreateErasure(r.Context(), convhttp.Tenant(r), c, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return seeOther(w, r, "/erasures/"+e.ID.Format(convstore.PrefixErasure)+"?user_id="+url.QueryEscape(user))
}

// cancelErasure asks a running job to stop: what it erased stays erased
// (with receipts), the rest is kept.
func (d *Door) cancelErasure(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "erasure_id", convstore.PrefixErasure)
	if err != nil {
		return err
	}
	if _, err := d.store.CancelErasure(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return seeOther(w, r, "/erasures/"+id.Format(convstore.PrefixErasure))
}

type erasureView struct {
	E      *convstore.Erasure
	UserID string // from the preview's link: the job itself keeps no user id
	Status erasureStatus
}

func (d *Door) findErasure(r *http.Request) (*convstore.Erasure, error) {
	id, err := pathID(r, "erasure_id", convstore.PrefixErasure)
	if err != nil {
		return nil, err
	}
	return d.store.FindErasureByID(r.Context(), convhttp.Tenant(r), id)
}

func (d *Door) erasure(w http.ResponseWriter, r *http.Request) error {
	e, err := d.findErasure(r)
	if err != nil {
		return err
	}
	user := r.URL.Query().Get("user_id")
	if len(user) > convstore.MaxExternalLen || !e.Selector.UserID {
		user = ""
	}
	return d.render(w, r, http.StatusOK, "erasure", d.page(r, "Erasure job", "erasures", &erasureView{E: e, UserID: user, Status: statusOf(e)}))
}

// erasureStatus is the progress the erasure page polls for.
type erasureStatus struct {
	State   string            `json:"state"`
	Final   bool              `json:"final"`
	DryRun  bool              `json:"dry_run"`
	Percent int               `json:"percent"`
	Total   api.ErasureCounts `json:"total"`
	Done    api.ErasureCounts `json:"done"`
	Held    int               `json:"held"`
	Error   string            `json:"error,omitempty"`
}

func statusOf(e *convstore.Erasure) erasureStatus {
	w := api.FromErasure(e)
	s := erasureStatus{State: string(e.State), Final: e.State.Final(), DryRun: e.DryRun, Total: w.Progress.Total,
		Done: w.Progress.Done, Held: e.Held, Error: e.Error}
	switch {
	case e.State == convstore.ErasureSucceeded:
		s.Percent = 100
	case e.Total.Conversations > 0:
		s.Percent = min(100, 100*e.Done.Conversations/e.Total.Conversations)
	}
	return s
}

func (d *Door) erasureStatus(w http.ResponseWriter, r *http.Request) error {
	e, err := d.findErasure(r)
	if err != nil {
		return err
	}
	return writeJSON(w, statusOf(e), "")
}

// Receipt is the erasure receipt the console hands an auditor: the job
// (who asked, when, through which door, what it counted and erased), every
// per-conversation deletion receipt it made with its downstream
// confirmations, and who downloaded it when.
type Receipt struct {
	Object         string                 `json:"object"` // "erasure_receipt"
	Tenant         string                 `json:"tenant"`
	Erasure        api.Erasure            `json:"erasure"`
	Deletions      []api.Deletion         `json:"deletions"`
	Truncated      bool                   `json:"deletions_truncated"`
	GeneratedAt    int64                  `json:"generated_at"`
	GeneratedByKey string                 `json:"generated_by_key"`
	Confirmations  api.ConfirmationCounts `json:"confirmations"`
}

func (d *Door) receipt(r *http.Request) (*Receipt, *convstore.Erasure, []*convstore.Deletion, error) {
	e, err := d.findErasure(r)
	if err != nil {
		return nil, nil, nil, err
	}
	tenant := convhttp.Tenant(r)
	var dels []*convstore.Deletion
	f := convstore.DeletionFilter{ErasureID: e.ID}
	f.Limit = convstore.MaxPageLimit
	f.Order = convstore.OrderAsc
	truncated := false
	for {
		list, more, err := d.store.FindDeletions(r.Context(), tenant, f)
		if err != nil {
			return nil, nil, nil, err
		}
		dels = append(dels, list...)
		if !more || len(list) == 0 {
			break
		}
		if len(dels) >= maxReceiptDeletions {
			truncated = true
			break
		}
		f.After = list[len(list)-1].ID
	}
	rc := &Receipt{Object: "erasure_receipt", Tenant: tenant.Format(convstore.PrefixTenant), Erasure: api.FromErasure(e),
		Truncated: truncated, GeneratedAt: d.now().Unix(), GeneratedByKey: convhttp.Key(r.Context()).ID.Format(convstore.PrefixKey)}
	now := d.now()
	for _, del := range dels {
		rc.Deletions = append(rc.Deletions, api.FromDeletion(del))
		for i := range del.Confirmations {
			switch del.Confirmations[i].StateAt(now) {
			case convstore.ConfirmationConfirmed:
				rc.Confirmations.Complete++
			case convstore.ConfirmationOverdue:
				rc.Confirmations.Overdue++
			case convstore.ConfirmationPending:
				rc.Confirmations.Pending++
			}
		}
	}
	if rc.Deletions == nil {
		rc.Deletions = []api.Deletion{}
	}
	return rc, e, dels, nil
}

func (d *Door) receiptJSON(w http.ResponseWriter, r *http.Request) error {
	rc, e, _, err := d.receipt(r)
	if err != nil {
		return err
	}
	return writeJSON(w, rc, "erasure-receipt-"+e.ID.Format(convstore.PrefixErasure)+".json")
}

type receiptView struct {
	R         *Receipt
	E         *convstore.Erasure
	Deletions []*convstore.Deletion
	Now       time.Time
}

func (d *Door) receiptPage(w http.ResponseWriter, r *http.Request) error {
	rc, e, dels, err := d.receipt(r)
	if err != nil {
		return err
	}
	v, err := d.withKeys(r, d.page(r, "Erasure receipt", "erasures", &receiptView{R: rc, E: e, Deletions: dels, Now: d.now()}))
	if err != nil {
		return err
	}
	return d.render(w, r, http.StatusOK, "receipt", v)
}

func writeJSON(w http.ResponseWriter, v any, download string) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if download != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+download+`"`)
	}
	_, err = w.Write(b)
	return err
}

// allHolds reads every hold of the tenant.
func (d *Door) allHolds(r *http.Request) ([]*convstore.Hold, error) {
	var out []*convstore.Hold
	var f convstore.HoldFilter
	f.Limit = convstore.MaxPageLimit
	for {
		list, more, err := d.store.FindHolds(r.Context(), convhttp.Tenant(r), f)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if !more || len(list) == 0 || len(out) >= 10*convstore.MaxPageLimit {
			return out, nil
		}
		f.After = list[len(list)-1].ID
	}
}

type holdsView struct {
	Holds []*convstore.Hold
	Form  url.Values
	Error string
}

func (d *Door) holds(w http.ResponseWriter, r *http.Request) error {
	return d.showHolds(w, r, http.StatusOK, r.URL.Query(), "")
}

func (d *Door) showHolds(w http.ResponseWriter, r *http.Request, status int, form url.Values, msg string) error {
	list, err := d.allHolds(r)
	if err != nil {
		return err
	}
	v, err := d.withKeys(r, d.page(r, "Legal holds", "holds", &holdsView{Holds: list, Form: form, Error: msg}))
	if err != nil {
		return err
	}
	return d.render(w, r, status, "holds", v)
}

func (d *Door) createHold(w http.ResponseWriter, r *http.Request) error {
	c := &convstore.HoldCreate{Reason: r.PostForm.Get("reason")}
	target := strings.TrimSpace(r.PostForm.Get("target"))
	switch r.PostForm.Get("kind") {
	case "user":
		c.UserID = target
	case "agent":
		c.AgentID = target
	case "conversation":
		id, err := convstore.ParseID(convstore.PrefixConversation, "target", target)
		if err != nil {
			return d.showHolds(w, r, http.StatusUnprocessableEntity, r.PostForm, convstore.ErrorMessage(err))
		}
		c.ConversationID = id
	default:
		return d.showHolds(w, r, http.StatusUnprocessableEntity, r.PostForm, "Choose what to hold: a user, an agent or a conversation.")
	}
	if target == "" {
		return d.showHolds(w, r, http.StatusUnprocessableEntity, r.PostForm, "Say which user, agent or conversation to hold.")
	}
	if err := c.Validate(); err != nil {
		return d.showHolds(w, r, http.StatusUnprocessableEntity, r.PostForm, convstore.ErrorMessage(err))
	}
	if _, err := d.store.CreateHold(r.Context(), convhttp.Tenant(r), c, convhttp.DeleteParams(r, DoorName)); err != nil {
		if convstore.ErrorCode(err) == convstore.ENOTFOUND || convstore.ErrorCode(err) == convstore.EINVALID {
			return d.showHolds(w, r, http.StatusUnprocessableEntity, r.PostForm, convstore.ErrorMessage(err))
		}
		return err
	}
	return seeOther(w, r, "/holds")
}

func (d *Door) releaseHold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "hold_id", convstore.PrefixHold)
	if err != nil {
		return err
	}
	if err := d.store.DeleteHold(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return seeOther(w, r, "/holds")
}

// deletionsView is a page of deletion receipts.
type deletionsView struct {
	List    []*convstore.Deletion
	More    bool
	Next    template.URL
	State   string
	Door    string
	Policy  string
	Now     time.Time
	Deleted string
}

func (d *Door) deletions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := convstore.DeletionFilter{State: q.Get("state"), Door: q.Get("door"), Policy: q.Get("policy")}
	if err := f.Validate(); err != nil {
		return err
	}
	f.Limit = 50
	if a := q.Get("after"); a != "" {
		id, err := convstore.ParseID(convstore.PrefixDeletion, "after", a)
		if err != nil {
			return err
		}
		f.After = id
	}
	list, more, err := d.store.FindDeletions(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	v := &deletionsView{List: list, More: more, State: f.State, Door: f.Door, Policy: f.Policy, Now: d.now(), Deleted: q.Get("deleted")}
	if more && len(list) > 0 {
		n := url.Values{"after": {list[len(list)-1].ID.Format(convstore.PrefixDeletion)}}
		if f.State != "" {
			n.Set("state", f.State)
		}
		if f.Door != "" {
			n.Set("door", f.Door)
		}
		if f.Policy != "" {
			n.Set("policy", f.Policy)
		}
		v.Next = template.URL(Prefix + "/deletions?" + n.Encode()) // encoded here, not again by the template
	}
	return d.render(w, r, http.StatusOK, "deletions", d.page(r, "Deletion receipts", "deletions", v))
}

// auditPage is how many entries one audit page shows.
const auditPage = 50

// auditForm is the audit page's filter form as submitted: the store
// filters (FindAuditEntries), so each page holds auditPage entries until
// the last.
type auditForm struct {
	Action, Conversation, Target, KeyID, Door, Since, Until string
}

// auditFilter reads the audit page's filters: action (a family ends in a
// dot), conversation_id, target_id, key_id, door, and since and until as
// dates (YYYY-MM-DD, UTC: since from its start, until to its end).
func auditFilter(q url.Values) (convstore.AuditFilter, auditForm, error) {
	form := auditForm{Action: q.Get("action"), Conversation: q.Get("conversation_id"), Target: q.Get("target_id"),
		KeyID: q.Get("key_id"), Door: q.Get("door"), Since: q.Get("since"), Until: q.Get("until")}
	f := convstore.AuditFilter{Action: form.Action, Door: form.Door}
	if len(f.Action) > convstore.MaxAuditActionLen {
		return f, form, convstore.Invalidf("action", "action is at most %d bytes", convstore.MaxAuditActionLen)
	}
	var err error
	if form.Conversation != "" {
		if f.ConversationID, err = convstore.ParseID(convstore.PrefixConversation, "conversation_id", form.Conversation); err != nil {
			return f, form, err
		}
	}
	if form.KeyID != "" {
		if f.ActorKeyID, err = convstore.ParseID(convstore.PrefixKey, "key_id", form.KeyID); err != nil {
			return f, form, err
		}
	}
	if form.Target != "" {
		// Targets are of many kinds (msg_, att_, hold_, …): the id selects.
		prefix, _, _ := strings.Cut(form.Target, "_")
		if f.TargetID, err = convstore.ParseID(prefix, "target_id", form.Target); err != nil {
			return f, form, err
		}
	}
	for _, d := range []struct {
		name, v string
		to      **time.Time
		shift   time.Duration
	}{{"since", form.Since, &f.CreatedAfter, -time.Nanosecond}, {"until", form.Until, &f.CreatedBefore, 24 * time.Hour}} {
		if d.v == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, d.v)
		if err != nil {
			return f, form, convstore.Invalidf(d.name, "%s must be a date, YYYY-MM-DD", d.name)
		}
		t := day.Add(d.shift)
		*d.to = &t
	}
	return f, form, f.Validate()
}

// audit lists the audit log, newest first, filtered in the store.
func (d *Door) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, form, err := auditFilter(q)
	if err != nil {
		return err
	}
	f.Limit = auditPage
	if a := q.Get("after"); a != "" {
		id, err := convstore.ParseID(convstore.PrefixAudit, "after", a)
		if err != nil {
			return err
		}
		f.After = id
	}
	list, more, err := d.store.FindAuditEntries(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	var next template.URL
	if more && len(list) > 0 {
		nq := url.Values{"after": {list[len(list)-1].ID.Format(convstore.PrefixAudit)}}
		for k, v := range map[string]string{"action": form.Action, "conversation_id": form.Conversation, "target_id": form.Target,
			"key_id": form.KeyID, "door": form.Door, "since": form.Since, "until": form.Until} {
			if v != "" {
				nq.Set(k, v)
			}
		}
		// The query is encoded here; the template must not encode it again.
		next = template.URL(Prefix + "/audit?" + nq.Encode())
	}
	v, err := d.withKeys(r, d.page(r, "Audit log", "audit", nil))
	if err != nil {
		return err
	}
	var keys []keyChoice
	for id, name := range v.Keys {
		keys = append(keys, keyChoice{ID: id.Format(convstore.PrefixKey), Name: name})
	}
	slices.SortFunc(keys, func(a, b keyChoice) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
	v.Data = map[string]any{"List": list, "Next": next, "Form": form, "Actions": auditActions, "KeyChoices": keys, "Doors": auditDoors}
	return d.render(w, r, http.StatusOK, "audit", v)
}

// keyChoice is one key of the audit page's key filter.
type keyChoice struct{ ID, Name string }

// auditDoors are the door filter's choices.
var auditDoors = []string{"native", "console", "stammer", "symbl", "elevenlabs", "botpress", "inkeep", "openai", "retention", "erasure", "cli", "bootstrap"}

// auditActions are the filter's choices: families, then single actions.
var auditActions = []string{"conversation.", "message.delete", "artifact.delete", "attachment.", "erasure.", "hold.",
	"retention.update", "deletion.confirm", "key.", "processor.", "webhook.", "tenant.create"}
