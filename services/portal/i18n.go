package main

// lang is a page's language: French first, English second.
type lang string

const (
	fr lang = "fr"
	en lang = "en"
)

func parseLang(s string) (lang, bool) {
	switch s {
	case "fr":
		return fr, true
	case "en":
		return en, true
	}
	return fr, false
}

// messages holds every text the portal shows, French then English. A
// missing key shows as itself, which the tests would catch.
var messages = map[string][2]string{
	"title":               {"Votre espace de règlement", "Your payment space"},
	"hello":               {"Bonjour", "Hello"},
	"intro":               {"Voici les factures restant à régler auprès de", "Here are the invoices still open with"},
	"total_due":           {"Total restant dû", "Total outstanding"},
	"of_which_overdue":    {"dont échu", "of which overdue"},
	"open_invoices":       {"Factures ouvertes", "Open invoices"},
	"no_open":             {"Aucune facture ne reste à régler. Merci !", "Nothing is left to pay. Thank you!"},
	"invoice":             {"Facture", "Invoice"},
	"due_date":            {"Échéance", "Due date"},
	"amount_left":         {"Reste dû", "Amount left"},
	"days_late":           {"Jours de retard", "Days late"},
	"not_due":             {"pas encore échue", "not yet due"},
	"letters_sent":        {"Courriers envoyés", "Letters sent"},
	"letter":              {"lettre simple", "letter"},
	"registered":          {"lettre recommandée", "registered letter"},
	"disputed":            {"contesté", "disputed"},
	"pay_card":            {"Payer par carte", "Pay by card"},
	"pay_all":             {"Tout régler par carte", "Pay everything by card"},
	"amount":              {"Montant", "Amount"},
	"pay_transfer":        {"Payer par virement", "Pay by bank transfer"},
	"promise":             {"Promettre une date de paiement", "Promise a payment date"},
	"promise_date":        {"Date de paiement", "Payment date"},
	"send":                {"Envoyer", "Send"},
	"plan":                {"Demander un échéancier", "Ask for a payment plan"},
	"installments":        {"Nombre d'échéances", "Number of installments"},
	"first_date":          {"Première échéance", "First installment"},
	"dispute":             {"Contester", "Dispute"},
	"reason":              {"Motif", "Reason"},
	"details":             {"Précisions", "Details"},
	"attachment":          {"Pièce jointe (PDF, PNG ou JPEG, 5 Mo au plus)", "Attachment (PDF, PNG or JPEG, at most 5 MB)"},
	"disputed_amount":     {"Montant contesté (vide : tout le solde)", "Disputed amount (empty: the whole balance)"},
	"message":             {"Écrire à votre interlocuteur", "Write to your contact"},
	"message_about":       {"Au sujet de la facture (facultatif)", "About invoice (optional)"},
	"consent":             {"Vos préférences de contact", "Your contact preferences"},
	"stop_sms":            {"Ne plus recevoir de SMS", "Stop text messages"},
	"email":               {"Adresse e-mail", "E-mail address"},
	"language":            {"Langue", "Language"},
	"save":                {"Enregistrer", "Save"},
	"statement":           {"Relevé de compte", "Statement of account"},
	"back":                {"Retour", "Back"},
	"more":                {"Factures suivantes", "Next invoices"},
	"prev":                {"Factures précédentes", "Previous invoices"},
	"awaiting":            {"Paiement par carte en cours de confirmation", "Card payment awaiting confirmation"},
	"awaiting_note":       {"Il sera pris en compte dès sa confirmation par la banque.", "It will count as soon as the bank confirms it."},
	"transfer_title":      {"Payer par virement", "Pay by bank transfer"},
	"transfer_intro":      {"Faites un virement avec ces coordonnées. La référence permet de rapprocher votre paiement de la facture : indiquez-la telle quelle.", "Make a transfer with these details. The reference matches your payment to the invoice: type it exactly."},
	"beneficiary":         {"Bénéficiaire", "Beneficiary"},
	"reference":           {"Référence", "Reference"},
	"no_iban":             {"Le virement n'est pas proposé : contactez-nous.", "Bank transfer is not offered: please contact us."},
	"neutral_title":       {"Lien non valable", "Link not valid"},
	"neutral_body":        {"Ce lien n'est pas ou plus valable. Utilisez le lien du dernier message reçu, ou contactez votre créancier.", "This link is not or no longer valid. Use the link in the latest message you received, or contact your creditor."},
	"landing_body":        {"Ouvrez le lien personnel reçu par e-mail, SMS ou courrier.", "Open the personal link you received by e-mail, text message or letter."},
	"busy":                {"Trop de tentatives : réessayez plus tard.", "Too many attempts: try again later."},
	"checkout_title":      {"Paiement par carte (page de test locale)", "Card payment (local test page)"},
	"checkout_note":       {"Sans clés Stripe, cette page remplace Stripe Checkout : elle envoie au service des paiements un webhook signé, comme Stripe le ferait.", "Without Stripe keys this page stands in for Stripe Checkout: it sends the payments service a signed webhook, as Stripe would."},
	"card_number":         {"Numéro de carte", "Card number"},
	"pay_now":             {"Payer", "Pay"},
	"checkout_done":       {"Paiement accepté. Il apparaîtra sur votre compte dès sa confirmation.", "Payment accepted. It will show on your account once confirmed."},
	"checkout_failed":     {"Le paiement n'a pas pu être transmis : réessayez.", "The payment could not be passed on: please try again."},
	"return_portal":       {"Revenir à mon espace", "Back to my space"},
	"done_paid":           {"Merci : votre paiement est en cours de confirmation.", "Thank you: your payment is being confirmed."},
	"done_promise":        {"Votre promesse de paiement est enregistrée. Les relances sont suspendues jusqu'à cette date.", "Your promise is recorded. Reminders are paused until that date."},
	"done_promise_task":   {"Votre proposition a été transmise à votre interlocuteur, qui vous répondra.", "Your proposal was passed to your contact, who will answer you."},
	"done_plan":           {"Votre échéancier est accepté. Les relances sont suspendues tant qu'il est respecté.", "Your payment plan is accepted. Reminders are paused while it is kept."},
	"done_plan_task":      {"Votre demande d'échéancier a été transmise à votre interlocuteur, qui vous répondra.", "Your plan request was passed to your contact, who will answer you."},
	"done_dispute":        {"Votre contestation est enregistrée. Les relances sur cette facture sont suspendues pendant son examen.", "Your dispute is recorded. Reminders on this invoice are paused while it is reviewed."},
	"done_message":        {"Votre message a été transmis.", "Your message was sent."},
	"done_consent":        {"Vos préférences sont enregistrées.", "Your preferences are saved."},
	"error":               {"Votre demande n'a pas été enregistrée", "Your request was not recorded"},
	"reason_amount":       {"Montant incorrect", "Wrong amount"},
	"reason_quality":      {"Prestation ou produit non conforme", "Service or goods not as agreed"},
	"reason_not_received": {"Prestation ou produit non reçu", "Service or goods not received"},
	"reason_paid":         {"Déjà payée", "Already paid"},
	"reason_other":        {"Autre motif", "Other reason"},
	"date":                {"Date", "Date"},
	"description":         {"Libellé", "Description"},
	"debit":               {"Débit", "Debit"},
	"credit":              {"Crédit", "Credit"},
	"balance":             {"Solde", "Balance"},
	"payment":             {"Paiement", "Payment"},
	"credit_note":         {"Avoir", "Credit note"},
	"statement_as_of":     {"Relevé au", "Statement as of"},
	"download_pdf":        {"Télécharger en PDF", "Download as PDF"},
	"ask_task_note":       {"Au-delà des limites acceptées d'office, votre demande sera examinée par votre interlocuteur.", "Beyond the limits accepted at once, your request will be reviewed by your contact."},
}

// T returns the text of key in l.
func (l lang) T(key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if l == en {
		return m[1]
	}
	return m[0]
}
