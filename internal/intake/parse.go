package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/relance/relance/internal/domain"
)

// MaxLines bounds one import so a request stays within a transaction of
// reasonable size; larger exports are sent in several files.
const MaxLines = 10_000

// CSVColumns is the documented header, required columns first. Columns may
// come in any order; description and payment_link may be left out.
var CSVColumns = []string{"number", "debtor_id", "issue_date", "due_date", "currency", "amount_cents", "description", "payment_link"}

const requiredColumns = 6

// ParseInvoicesCSV reads an invoice file with the documented header. The
// separator is a comma, or a semicolon when the header has no comma (the
// French spreadsheet default). A file that cannot be read as a whole
// (bad header, broken quoting, ragged rows, too many lines) is a
// *FileError; a line whose values are wrong comes back Rejected.
func ParseInvoicesCSV(r io.Reader) ([]Line, error) {
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &FileError{Reason: fmt.Sprintf("read: %v", err)}
	}
	first = strings.TrimPrefix(first, "\ufeff")
	cr := csv.NewReader(io.MultiReader(strings.NewReader(first), br))
	if !strings.Contains(first, ",") && strings.Contains(first, ";") {
		cr.Comma = ';'
	}
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &FileError{Reason: "the file is empty: expected the header " + strings.Join(CSVColumns, ",")}
	}
	if err != nil {
		return nil, csvError(err)
	}
	index, ferr := columnIndex(header)
	if ferr != nil {
		return nil, ferr
	}
	var lines []Line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		if len(lines) == MaxLines {
			return nil, &FileError{Reason: fmt.Sprintf("more than %d lines: split the file", MaxLines)}
		}
		lineNo, _ := cr.FieldPos(0)
		lines = append(lines, csvLine(lineNo, rec, index))
	}
	if len(lines) == 0 {
		return nil, &FileError{Reason: "no invoice lines after the header"}
	}
	return lines, nil
}

func csvError(err error) *FileError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FileError{Line: pe.Line, Reason: pe.Err.Error()}
	}
	return &FileError{Reason: err.Error()}
}

// columnIndex maps each known column to its position in the header.
func columnIndex(header []string) (map[string]int, *FileError) {
	index := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(CSVColumns, name) {
			return nil, &FileError{Line: 1, Field: h, Reason: fmt.Sprintf("unknown column %q: the header is %s", h, strings.Join(CSVColumns, ","))}
		}
		if _, dup := index[name]; dup {
			return nil, &FileError{Line: 1, Field: name, Reason: fmt.Sprintf("column %q appears twice", name)}
		}
		index[name] = i
	}
	for _, name := range CSVColumns[:requiredColumns] {
		if _, ok := index[name]; !ok {
			return nil, &FileError{Line: 1, Field: name, Reason: fmt.Sprintf("missing column %q", name)}
		}
	}
	return index, nil
}

func csvLine(lineNo int, rec []string, index map[string]int) Line {
	get := func(name string) string {
		if i, ok := index[name]; ok {
			return rec[i]
		}
		return ""
	}
	line := Line{Line: lineNo}
	amount := strings.TrimSpace(get("amount_cents"))
	cents, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		line.Input = InvoiceInput{Number: strings.TrimSpace(get("number"))}
		line.Rejected = &domain.FieldError{Field: "amount_cents", Reason: fmt.Sprintf("must be a whole number of cents, got %q", amount)}
		return line
	}
	line.Input = InvoiceInput{
		Number: get("number"), DebtorID: get("debtor_id"), IssueDate: get("issue_date"), DueDate: get("due_date"),
		Currency: get("currency"), AmountCents: cents, Description: get("description"), PaymentLink: get("payment_link"),
	}.Normalize()
	line.Rejected = line.Input.Validate()
	return line
}

// ParseInvoicesJSON reads a JSON array of invoices. Something that is not
// an array is a *FileError; an element of the wrong shape is Rejected with
// the field at fault.
func ParseInvoicesJSON(data []byte) ([]Line, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &FileError{Reason: "the body must be a JSON array of invoices: " + err.Error()}
	}
	if len(raw) == 0 {
		return nil, &FileError{Reason: "the array is empty"}
	}
	if len(raw) > MaxLines {
		return nil, &FileError{Reason: fmt.Sprintf("more than %d invoices: split the import", MaxLines)}
	}
	lines := make([]Line, len(raw))
	for i, item := range raw {
		in, rejected := DecodeInvoice(item)
		lines[i] = Line{Line: i + 1, Input: in, Rejected: rejected}
	}
	return lines, nil
}

// DecodeInvoice decodes and validates one JSON invoice; unknown fields and
// wrongly typed values are rejected naming the field.
func DecodeInvoice(data []byte) (InvoiceInput, *domain.FieldError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in InvoiceInput
	if err := dec.Decode(&in); err != nil {
		return in, jsonFieldError(err)
	}
	in = in.Normalize()
	return in, in.Validate()
}

// jsonFieldError names the field of a JSON decoding error when it can.
func jsonFieldError(err error) *domain.FieldError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return &domain.FieldError{Field: typeErr.Field, Reason: fmt.Sprintf("must be a %s", typeErr.Type)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &domain.FieldError{Field: strings.Trim(name, `"`), Reason: "is not a known field"}
	}
	return &domain.FieldError{Field: "body", Reason: err.Error()}
}
