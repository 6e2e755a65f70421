package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// disputeReasons are the reason codes a debtor picks from.
var disputeReasons = []string{"amount", "quality", "not_received", "paid", "other"}

// attachmentTypes are the files a dispute accepts, recognised by their
// content (the first bytes), never by the name or the browser's claim.
var attachmentTypes = []string{"application/pdf", "image/png", "image/jpeg"}

const maxDisputeText = 2000

// formOverhead is what a multipart form adds around its file.
const formOverhead = 64 << 10

// dispute opens a dispute on an invoice with a reason code, a text and
// an optional file, the way services/disputes does: the dispute, its file,
// the timeline entry, the audit line and the case command that pauses the
// case commit together; the relay delivers the command.
func (p *Portal) doDispute(ctx context.Context, r *http.Request, s *session) (string, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, p.Settings.MaxAttachment+formOverhead)
	if err := r.ParseMultipartForm(p.Settings.MaxAttachment + formOverhead); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", p.tooLarge()
		}
		return "", bad("le formulaire est illisible.", "the form cannot be read.")
	}
	defer r.MultipartForm.RemoveAll()
	key, err := nonce(r)
	if err != nil {
		return "", err
	}
	inv, err := p.ownInvoice(r, s, r.FormValue("invoice"))
	if err != nil {
		return "", err
	}
	reason := r.FormValue("reason")
	if !slices.Contains(disputeReasons, reason) {
		return "", bad("choisissez un motif dans la liste.", "choose a reason from the list.")
	}
	text := strings.TrimSpace(r.FormValue("text"))
	if text == "" || utf8.RuneCountInString(text) > maxDisputeText {
		return "", bad(fmt.Sprintf("précisez votre contestation (%d caractères au plus).", maxDisputeText),
			fmt.Sprintf("explain your dispute (at most %d characters).", maxDisputeText))
	}
	var amount int64
	if a := strings.TrimSpace(r.FormValue("amount")); a != "" {
		if amount, err = parseAmount(a); err != nil {
			return "", err
		}
		if amount <= 0 {
			return "", bad("le montant contesté doit être supérieur à zéro.", "the disputed amount must be more than zero.")
		}
	}
	file, err := p.readAttachment(r)
	if err != nil {
		return "", err
	}
	id := derivedID("dsp_", inv.ID, "portal", key)
	now := p.Now()
	err = p.Store.InTx(ctx, func(tx pgx.Tx) error {
		locked, err := store.GetInvoiceForUpdate(ctx, tx, inv.ID)
		if err != nil {
			return err
		}
		if locked.Status != "open" {
			return &inputError{Status: http.StatusConflict, FR: "cette facture n'est plus ouverte.", EN: "this invoice is no longer open."}
		}
		if _, err := store.GetDispute(ctx, tx, id); err == nil {
			return nil // the same form sent again
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		disputed, err := store.OpenDisputedCents(ctx, tx, inv.ID)
		if err != nil {
			return err
		}
		undisputed := locked.BalanceCents - disputed
		if undisputed <= 0 {
			return &inputError{Status: http.StatusConflict, FR: "tout le solde de cette facture est déjà contesté.", EN: "the whole balance of this invoice is already disputed."}
		}
		if amount == 0 {
			amount = undisputed
		}
		if amount > undisputed {
			return bad("le montant contesté dépasse le solde non contesté de la facture.", "the disputed amount is more than the undisputed balance.")
		}
		d := store.Dispute{ID: id, InvoiceID: inv.ID, AmountCents: amount, Reason: reason + ": " + text,
			Attachments: []store.Attachment{}, OpenedBy: "portal:" + s.Link.ID}
		if file != nil {
			file.ID, file.DebtorID, file.DisputeID = derivedID("att_", id), s.Debtor.ID, id
			d.Attachments = append(d.Attachments, store.Attachment{Name: file.Filename, Ref: "portal-attachment:" + file.ID})
		}
		out, created, err := store.InsertDispute(ctx, tx, d)
		if err != nil || !created {
			return err
		}
		if file != nil {
			if err := store.InsertPortalAttachment(ctx, tx, *file); err != nil {
				return err
			}
		}
		money := domain.NewMoney(amount, inv.Currency).FormatFR()
		if err := store.AddDisputeEvent(ctx, tx, store.DisputeEvent{
			Key: "dispute:" + id + ":filed", InvoiceID: inv.ID, DebtorID: s.Debtor.ID, Kind: "dispute_filed",
			Message: fmt.Sprintf("dispute filed through the portal on %s: %s", money, reason),
			Data:    map[string]any{"dispute_id": id, "amount_cents": amount, "attachments": len(d.Attachments), "by": "portal:" + s.Link.ID},
			At:      now,
		}); err != nil {
			return err
		}
		if _, err := store.EnqueueCaseCommand(ctx, tx, inv.ID, domain.UpdateOpenDispute, "dispute:"+id+":open",
			domain.DisputeUpdate{ID: id, AmountCents: amount, Reason: reason}); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: actor(s), Action: "dispute.open", Entity: "dispute", EntityID: id, After: out})
	})
	if err != nil {
		return "", err
	}
	return "dispute", nil
}

func (p *Portal) tooLarge() *inputError {
	mb := p.Settings.MaxAttachment >> 20
	return &inputError{Status: http.StatusRequestEntityTooLarge,
		FR: fmt.Sprintf("la pièce jointe dépasse %d Mo.", mb), EN: fmt.Sprintf("the attachment is larger than %d MB.", mb)}
}

// readAttachment reads the form's file, if any, checking its size and its
// type by content.
func (p *Portal) readAttachment(r *http.Request) (*store.PortalAttachment, error) {
	f, h, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, bad("la pièce jointe est illisible.", "the attachment cannot be read.")
	}
	defer f.Close()
	if h.Size == 0 {
		return nil, nil // an empty file input
	}
	if h.Size > p.Settings.MaxAttachment {
		return nil, p.tooLarge()
	}
	content, err := io.ReadAll(io.LimitReader(f, p.Settings.MaxAttachment+1))
	if err != nil {
		return nil, fmt.Errorf("read attachment: %w", err)
	}
	if int64(len(content)) > p.Settings.MaxAttachment {
		return nil, p.tooLarge()
	}
	kind := http.DetectContentType(content)
	if !slices.Contains(attachmentTypes, kind) {
		return nil, &inputError{Status: http.StatusUnsupportedMediaType,
			FR: "la pièce jointe doit être un PDF, une image PNG ou JPEG.", EN: "the attachment must be a PDF, a PNG or a JPEG image."}
	}
	sum := sha256.Sum256(content)
	return &store.PortalAttachment{Filename: cleanName(h), ContentType: kind, SHA256: sum[:], Content: content}, nil
}

func cleanName(h *multipart.FileHeader) string {
	name := filepath.Base(strings.ReplaceAll(h.Filename, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		name = "piece-jointe"
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return name
}
