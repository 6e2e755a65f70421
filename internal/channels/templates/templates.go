// Package templates renders Relance's messages in French and English from
// templates embedded in the binary: e-mails (subject, text and HTML), text
// messages, and the wording of letters. No template lives on a provider's
// side, so what the outbox shows is what the debtor receives.
//
// Each message template is two files per language: <name>.tmpl
// (text/template defining "subject", "text" and "sms") and <name>.html
// (html/template defining "html"). Each letter is letter_<name>.tmpl
// defining "subject", "body" and "closing"; paragraphs are separated by a
// blank line.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed fr en
var files embed.FS

// Data is what every template may show. Amounts are already formatted for
// the language (domain.Money.Format), dates too.
type Data struct {
	Lang          string
	CreditorName  string
	CreditorEmail string
	DebtorName    string
	Business      bool
	InvoiceNumber string
	IssueDate     string
	DueDate       string
	DaysOverdue   int
	Amount        string // the balance claimed
	InvoiceAmount string
	PaymentLink   string
	// PortalLink is the debtor's personal link to the portal ("" for none).
	PortalLink string
	// Formal notices.
	PayWithinDays int
	PayBy         string
	InterestRate  string // "12,15 %"; empty when the half-year's rate is missing
	Interest      string // empty when the half-year's rate is missing
	// InterestFrom is the date of the formal notice a consumer's interest
	// runs from (Code civil 1231-6).
	InterestFrom string
	Indemnity    string // "40,00 €", empty for consumers
	Total        string
}

// Message is a rendered e-mail or text message.
type Message struct {
	Subject string
	Text    string
	HTML    string
	SMS     string
}

// LetterText is the wording of a letter; the letter package lays it out.
type LetterText struct {
	Subject    string
	Paragraphs []string
	Closing    []string
}

// Set holds the parsed templates of both languages.
type Set struct {
	text map[string]*texttemplate.Template // key lang/name
	html map[string]*htmltemplate.Template
}

// DefaultMessage and DefaultLetter are used when a step names a template
// that has no version for its channel (an e-mail step falling back to a
// letter, say).
const (
	DefaultMessage = "reminder"
	DefaultLetter  = "reminder_letter"
)

// Load parses the embedded templates; an error means a broken template.
func Load() (*Set, error) {
	s := &Set{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, lang := range []string{"fr", "en"} {
		entries, err := fs.ReadDir(files, lang)
		if err != nil {
			return nil, fmt.Errorf("templates %s: %w", lang, err)
		}
		for _, e := range entries {
			path := lang + "/" + e.Name()
			src, err := fs.ReadFile(files, path)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", path, err)
			}
			switch name, ext := splitExt(e.Name()); ext {
			case ".tmpl":
				t, err := texttemplate.New(path).Option("missingkey=error").Parse(string(src))
				if err != nil {
					return nil, fmt.Errorf("template %s: %w", path, err)
				}
				s.text[lang+"/"+name] = t
			case ".html":
				t, err := htmltemplate.New(path).Option("missingkey=error").Parse(string(src))
				if err != nil {
					return nil, fmt.Errorf("template %s: %w", path, err)
				}
				s.html[lang+"/"+name] = t
			}
		}
	}
	return s, nil
}

func splitExt(file string) (string, string) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return file, ""
	}
	return file[:i], file[i:]
}

func language(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "fr"
}

// Message renders the e-mail and SMS versions of a message template,
// falling back to DefaultMessage when name has none.
func (s *Set) Message(name string, d Data) (Message, error) {
	lang := language(d.Lang)
	d.Lang = lang
	key := lang + "/" + name
	if t, ok := s.text[key]; !ok || t.Lookup("subject") == nil || strings.HasPrefix(name, "letter_") {
		key = lang + "/" + DefaultMessage
	}
	t := s.text[key]
	var m Message
	var err error
	if m.Subject, err = execText(t, "subject", d); err != nil {
		return m, err
	}
	if m.Text, err = execText(t, "text", d); err != nil {
		return m, err
	}
	if m.SMS, err = execText(t, "sms", d); err != nil {
		return m, err
	}
	if h, ok := s.html[key]; ok {
		var b bytes.Buffer
		if err := h.ExecuteTemplate(&b, "html", d); err != nil {
			return m, fmt.Errorf("render %s html: %w", key, err)
		}
		m.HTML = b.String()
	}
	m.Subject = squash(m.Subject)
	m.SMS = squash(m.SMS)
	return m, nil
}

// Letter renders the wording of a letter template, falling back to
// DefaultLetter when name has none.
func (s *Set) Letter(name string, d Data) (LetterText, error) {
	lang := language(d.Lang)
	d.Lang = lang
	t, ok := s.text[lang+"/letter_"+name]
	if !ok {
		t = s.text[lang+"/letter_"+DefaultLetter]
	}
	var out LetterText
	subject, err := execText(t, "subject", d)
	if err != nil {
		return out, err
	}
	body, err := execText(t, "body", d)
	if err != nil {
		return out, err
	}
	closing, err := execText(t, "closing", d)
	if err != nil {
		return out, err
	}
	out.Subject = squash(subject)
	out.Paragraphs = paragraphs(body)
	out.Closing = paragraphs(closing)
	return out, nil
}

// HasLetter reports whether name is a letter template of its own.
func (s *Set) HasLetter(name string) bool {
	_, ok := s.text["fr/letter_"+name]
	return ok
}

// Text renders one named block of a plain template (e.g. call scripts).
func (s *Set) Text(name, block string, d Data) (string, error) {
	lang := language(d.Lang)
	d.Lang = lang
	t, ok := s.text[lang+"/"+name]
	if !ok {
		return "", fmt.Errorf("no template %s/%s", lang, name)
	}
	out, err := execText(t, block, d)
	return strings.TrimSpace(out), err
}

func execText(t *texttemplate.Template, block string, d Data) (string, error) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, block, d); err != nil {
		return "", fmt.Errorf("render %s %s: %w", t.Name(), block, err)
	}
	return b.String(), nil
}

// paragraphs splits text on blank lines and joins each paragraph's lines,
// so templates can wrap their source freely.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = squash(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// squash joins the words of s with single spaces. Only ASCII white space
// separates words: the non-breaking spaces inside amounts ("1 234,56 €")
// must stay where they are.
func squash(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\n' || r == '\t' || r == '\r'
	}), " ")
}

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// Date writes a calendar date in words: "5 mars 2026" or "5 March 2026".
func Date(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	if language(lang) == "en" {
		return t.Format("2 January 2006")
	}
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return day + " " + frenchMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// ShortDate writes a date with digits: "05/03/2026" or "2026-03-05".
func ShortDate(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	if language(lang) == "en" {
		return t.Format(time.DateOnly)
	}
	return t.Format("02/01/2006")
}
