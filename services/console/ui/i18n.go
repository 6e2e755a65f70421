package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The console speaks French first, English second, per user. Amounts and
// dates follow the user's language ("1 234,56 €", "28/12/2026").

// nbsp separates thousands and the currency sign in French, so an amount
// never breaks across lines.
const nbsp = "\u00a0"

// paris is where dates are shown (the collection team works in France).
type locale struct {
	lang string
	loc  *time.Location
}

func newLocale(lang string, loc *time.Location) locale {
	if lang != "en" {
		lang = "fr"
	}
	return locale{lang: lang, loc: loc}
}

// T translates key; args fill its %s / %d verbs.
func (l locale) T(key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if l.lang == "en" && m[1] != "" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

var currencySigns = map[string]string{"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}

// Money formats minor units: "1 234,56 €" in French, "€1,234.56" in English.
func (l locale) Money(cents int64, currency string) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	units, rest := cents/100, cents%100
	digits := strconv.FormatInt(units, 10)
	sep, dec := nbsp, ","
	if l.lang == "en" {
		sep, dec = ",", "."
	}
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	num := fmt.Sprintf("%s%s%02d", b.String(), dec, rest)
	sign := currencySigns[currency]
	if sign == "" {
		sign = currency
	}
	minus := ""
	if neg {
		minus = "-"
	}
	if l.lang == "en" {
		if len(sign) > 1 && sign == currency {
			return minus + num + " " + sign
		}
		return minus + sign + num
	}
	return minus + num + nbsp + sign
}

// Date formats a calendar date (time or "2026-12-28"): 28/12/2026 in
// French, 28 Dec 2026 in English.
func (l locale) Date(v any) string {
	var t time.Time
	switch d := v.(type) {
	case time.Time:
		t = d.In(l.loc)
	case *time.Time:
		if d == nil {
			return ""
		}
		t = d.In(l.loc)
	case string:
		p, err := time.Parse("2006-01-02", d)
		if err != nil {
			return d
		}
		t = p
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	if l.lang == "en" {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

// DateTime formats an instant with its Paris time.
func (l locale) DateTime(v any) string {
	var t time.Time
	switch d := v.(type) {
	case time.Time:
		t = d
	case *time.Time:
		if d == nil {
			return ""
		}
		t = *d
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	t = t.In(l.loc)
	if l.lang == "en" {
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("02/01/2006 15:04")
}

// Code translates a code of the API (a status, a stage, an outcome):
// "code.<value>", or the code itself when it has no translation.
func (l locale) Code(code string) string {
	if _, ok := messages["code."+code]; ok {
		return l.T("code." + code)
	}
	return code
}

// messages: key → {French, English}.
var messages = map[string][2]string{
	"app.name":               {"Relance", "Relance"},
	"nav.worklist":           {"Mes appels", "My worklist"},
	"nav.cases":              {"Dossiers", "Cases"},
	"nav.dashboard":          {"Tableau de bord", "Dashboard"},
	"nav.users":              {"Utilisateurs", "Users"},
	"nav.tokens":             {"Jetons d'API", "API tokens"},
	"nav.import":             {"Import", "Import"},
	"nav.signout":            {"Se déconnecter", "Sign out"},
	"nav.skip":               {"Aller au contenu", "Skip to content"},
	"signin.title":           {"Connexion", "Sign in"},
	"signin.email":           {"Adresse e-mail", "E-mail address"},
	"signin.password":        {"Mot de passe", "Password"},
	"signin.submit":          {"Se connecter", "Sign in"},
	"signin.oidc":            {"Se connecter avec l'annuaire de l'entreprise", "Sign in with the company directory"},
	"signin.expired":         {"Votre session a expiré : reconnectez-vous, votre saisie est conservée.", "Your session expired: sign in again, what you typed is kept."},
	"signin.locked":          {"Trop d'échecs : le compte est verrouillé pour un moment.", "Too many failures: the account is locked for a while."},
	"resubmit.title":         {"Reprendre votre saisie", "Resume what you typed"},
	"resubmit.text":          {"Vous étiez en train d'envoyer ce formulaire. Vérifiez puis envoyez-le à nouveau.", "You were sending this form. Check it, then send it again."},
	"resubmit.submit":        {"Envoyer à nouveau", "Send again"},
	"error.title":            {"Erreur", "Error"},
	"error.forbidden":        {"Cette page n'est pas accessible avec votre rôle.", "Your role cannot open this page."},
	"error.notfound":         {"Introuvable.", "Not found."},
	"error.csrf":             {"Requête refusée : formulaire expiré ou envoyé depuis un autre site.", "Request refused: the form expired or was sent from another site."},
	"error.api":              {"Le service ne répond pas, réessayez dans un instant.", "The service is not answering, try again in a moment."},
	"error.form":             {"Le formulaire contient des erreurs.", "The form has errors."},
	"worklist.title":         {"Mes appels", "My worklist"},
	"worklist.empty":         {"Aucun appel à passer maintenant.", "No call to make now."},
	"worklist.collector":     {"Chargé de recouvrement", "Collector"},
	"worklist.all":           {"Tous", "All"},
	"worklist.kind":          {"Type de tâche", "Task type"},
	"worklist.min":           {"Solde minimum (€)", "Minimum balance (€)"},
	"worklist.filter":        {"Filtrer", "Filter"},
	"worklist.score":         {"Priorité", "Priority"},
	"worklist.script":        {"Script d'appel", "Call script"},
	"worklist.outcome":       {"Résultat de l'appel", "Call outcome"},
	"col.debtor":             {"Débiteur", "Debtor"},
	"col.invoice":            {"Facture", "Invoice"},
	"col.balance":            {"Solde", "Balance"},
	"col.overdue":            {"Retard (jours)", "Days overdue"},
	"col.due":                {"Échéance", "Due date"},
	"col.status":             {"Statut", "Status"},
	"col.stage":              {"Étape", "Stage"},
	"col.amount":             {"Montant", "Amount"},
	"col.date":               {"Date", "Date"},
	"col.what":               {"Quoi", "What"},
	"col.channel":            {"Canal", "Channel"},
	"col.collector":          {"Chargé", "Collector"},
	"col.next":               {"Prochaine action", "Next action"},
	"col.temporal":           {"Temporal", "Temporal"},
	"col.reason":             {"Motif", "Reason"},
	"col.name":               {"Nom", "Name"},
	"col.email":              {"E-mail", "E-mail"},
	"col.role":               {"Rôle", "Role"},
	"col.language":           {"Langue", "Language"},
	"col.created":            {"Créé le", "Created"},
	"col.line":               {"Ligne", "Line"},
	"col.field":              {"Champ", "Field"},
	"col.outcome":            {"Résultat", "Outcome"},
	"phone":                  {"Téléphone", "Phone"},
	"script.amount":          {"Montant dû", "Amount due"},
	"script.link":            {"Lien de paiement", "Payment link"},
	"script.broken":          {"Promesses non tenues : %d", "Broken promises: %d"},
	"out.reached":            {"Joint", "Reached"},
	"out.no_answer":          {"Pas de réponse", "No answer"},
	"out.wrong_number":       {"Faux numéro", "Wrong number"},
	"out.promise":            {"Promesse de paiement", "Promise to pay"},
	"out.dispute":            {"Litige", "Dispute"},
	"out.callback":           {"Rappeler", "Call back"},
	"form.amount":            {"Montant (€)", "Amount (€)"},
	"form.date":              {"Date", "Date"},
	"form.reason":            {"Motif", "Reason"},
	"form.note":              {"Note", "Note"},
	"form.callback_at":       {"Rappeler le", "Call back on"},
	"form.until":             {"Jusqu'au (facultatif)", "Until (optional)"},
	"form.collector":         {"Nouveau chargé", "New collector"},
	"form.installments":      {"Échéances (une par ligne : date montant, ex. 2026-12-28 500,00)", "Installments (one per line: date amount, e.g. 2026-12-28 500.00)"},
	"form.save":              {"Enregistrer", "Save"},
	"case.title":             {"Dossier %s", "Case %s"},
	"case.invoice":           {"Facture", "Invoice"},
	"case.timeline":          {"Historique", "Timeline"},
	"case.documents":         {"Documents", "Documents"},
	"case.ledger":            {"Grand livre", "Ledger"},
	"case.promises":          {"Promesses", "Promises"},
	"case.plans":             {"Échéanciers", "Installment plans"},
	"case.disputes":          {"Litiges", "Disputes"},
	"case.tasks":             {"Tâches", "Tasks"},
	"case.actions":           {"Actions", "Actions"},
	"case.promise":           {"Enregistrer une promesse", "Record a promise"},
	"case.plan":              {"Proposer un échéancier", "Propose a plan"},
	"case.hold":              {"Suspendre", "Put on hold"},
	"case.resume":            {"Reprendre", "Resume"},
	"case.note":              {"Ajouter une note", "Add a note"},
	"case.reassign":          {"Réattribuer", "Reassign"},
	"case.writeoff":          {"Passer en perte", "Write off"},
	"case.done":              {"Action enregistrée.", "Action recorded."},
	"case.debtor":            {"Fiche débiteur", "Debtor 360"},
	"case.open":              {"Ouvrir", "Open"},
	"case.paused":            {"En pause : %s", "Paused: %s"},
	"case.none":              {"Aucun", "None"},
	"case.payments":          {"Paiements", "Payments"},
	"case.outstanding":       {"Encours", "Outstanding"},
	"case.overdue":           {"Échu", "Overdue"},
	"cases.title":            {"Dossiers", "Cases"},
	"cases.next":             {"Page suivante", "Next page"},
	"cases.all":              {"Tous", "All"},
	"dash.title":             {"Tableau de bord", "Dashboard"},
	"dash.aging":             {"Encours par ancienneté", "Outstanding by age"},
	"dash.dso":               {"DSO (jours)", "DSO (days)"},
	"dash.promises":          {"Promesses tenues", "Promises kept"},
	"dash.workload":          {"Charge par chargé (tâches ouvertes)", "Workload per collector (open tasks)"},
	"dash.waiting":           {"Dossiers en attente d'un humain", "Cases waiting for a human"},
	"code.aging.not_due":     {"non échu", "not due"},
	"code.aging.1-30":        {"1 à 30 jours", "1–30 days"},
	"code.aging.31-60":       {"31 à 60 jours", "31–60 days"},
	"code.aging.61-90":       {"61 à 90 jours", "61–90 days"},
	"code.aging.90+":         {"plus de 90 jours", "over 90 days"},
	"dash.collected":         {"Encaissé sur la période", "Collected in the period"},
	"dash.period":            {"Période", "Period"},
	"dash.outstanding":       {"Encours total", "Total outstanding"},
	"users.title":            {"Utilisateurs", "Users"},
	"users.new":              {"Nouvel utilisateur", "New user"},
	"users.create":           {"Créer", "Create"},
	"users.password":         {"Nouveau mot de passe", "New password"},
	"users.reset":            {"Réinitialiser", "Reset"},
	"users.locked":           {"Verrouillé jusqu'au %s", "Locked until %s"},
	"users.disabled":         {"Désactivé", "Disabled"},
	"users.saved":            {"Utilisateur enregistré.", "User saved."},
	"users.pwset":            {"Mot de passe changé.", "Password changed."},
	"users.collector":        {"Chargé lié (pour un chargé)", "Collector link (for a collector)"},
	"tokens.title":           {"Jetons d'API", "API tokens"},
	"tokens.new":             {"Nouveau jeton", "New token"},
	"tokens.secret":          {"Secret (affiché une seule fois) :", "Secret (shown once):"},
	"tokens.revoke":          {"Révoquer", "Revoke"},
	"tokens.revoked":         {"Révoqué", "Revoked"},
	"import.title":           {"Import de factures (CSV)", "Invoice import (CSV)"},
	"import.file":            {"Fichier CSV", "CSV file"},
	"import.submit":          {"Importer", "Import"},
	"import.report":          {"Rapport : %d créées, %d mises à jour, %d inchangées, %d rejetées", "Report: %d created, %d updated, %d unchanged, %d rejected"},
	"code.active":            {"actif", "active"},
	"code.paused":            {"en pause", "paused"},
	"code.closed":            {"clos", "closed"},
	"code.needs_attention":   {"à examiner", "needs attention"},
	"code.open":              {"ouverte", "open"},
	"code.claimed":           {"prise", "claimed"},
	"code.done":              {"faite", "done"},
	"code.promise":           {"promesse", "promise"},
	"code.dispute":           {"litige", "dispute"},
	"code.plan":              {"échéancier", "plan"},
	"code.hold":              {"suspension", "hold"},
	"code.call":              {"appel", "call"},
	"code.email":             {"e-mail", "e-mail"},
	"code.letter":            {"lettre", "letter"},
	"code.registered_letter": {"lettre recommandée", "registered letter"},
	"code.sms":               {"SMS", "SMS"},
	"code.collector":         {"chargé de recouvrement", "collector"},
	"code.manager":           {"responsable", "manager"},
	"code.admin":             {"administrateur", "admin"},
	"code.service":           {"service", "service"},
	"code.fr":                {"français", "French"},
	"code.en":                {"anglais", "English"},
	"code.pending":           {"en cours", "pending"},
	"code.kept":              {"tenue", "kept"},
	"code.broken":            {"non tenue", "broken"},
	"code.created":           {"créée", "created"},
	"code.updated":           {"mise à jour", "updated"},
	"code.unchanged":         {"inchangée", "unchanged"},
	"code.rejected":          {"rejetée", "rejected"},
}

// Lang is the language code of the page.
func (l locale) Lang() string { return l.lang }
