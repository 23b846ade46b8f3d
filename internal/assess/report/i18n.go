package report

import "github.com/sortie-dev/sortie/internal/lang"

// Lang is a report language.
//
// Deprecated: use lang.Lang; kept while cli's policy command still names it.
type Lang = lang.Lang

// The report's languages.
//
// Deprecated: use lang.English and lang.French.
const (
	English = lang.English
	French  = lang.French
)

// ParseLang is lang.ParseLang.
//
// Deprecated: use lang.ParseLang; kept while cli's policy command still calls it.
func ParseLang(s string) (Lang, error) { return lang.ParseLang(s) }

// messages are the report's own words; the plan's texts are assess's.
var messages = lang.NewCatalog("assess report", map[string]lang.Text{
	"title":             {"AWS exit assessment", "Évaluation de sortie d'AWS"},
	"account":           {"Account", "Compte"},
	"source":            {"Read from", "Lu depuis"},
	"generated":         {"Generated", "Généré le"},
	"headline":          {"At a glance", "En bref"},
	"data":              {"Object data to move", "Données objets à déplacer"},
	"objects":           {"objects", "objets"},
	"transfer":          {"Transfer time", "Durée du transfert"},
	"days":              {"days", "jours"},
	"at":                {"at", "à"},
	"egress":            {"Egress cost without the waiver", "Coût de sortie sans exonération"},
	"waiver.fits":       {"Fits AWS's %d-day exit waiver", "Tient dans les %d jours de l'exonération de sortie d'AWS"},
	"waiver.nofit":      {"Does not fit AWS's %d-day exit waiver", "Ne tient pas dans les %d jours de l'exonération de sortie d'AWS"},
	"aws.monthly":       {"AWS spend per month (bill average)", "Dépense AWS par mois (moyenne de la facture)"},
	"target.monthly":    {"Estimated monthly cost after the exit", "Coût mensuel estimé après la sortie"},
	"effort":            {"Effort (sum of item scores, 1–5 each)", "Effort (somme des notes, 1 à 5 par élément)"},
	"charts":            {"Charts", "Graphiques"},
	"chart.services":    {"Spend by service (charges over the bill's months)", "Dépense par service (charges sur les mois de la facture)"},
	"chart.months":      {"Spend by month (charges)", "Dépense par mois (charges)"},
	"chart.classes":     {"Data by storage class", "Données par classe de stockage"},
	"chart.egress":      {"Egress cost of the move by month", "Coût de sortie du transfert par mois"},
	"buckets":           {"Buckets", "Compartiments (buckets)"},
	"bucket":            {"Bucket", "Compartiment"},
	"region":            {"Region", "Région"},
	"size":              {"Size", "Taille"},
	"sizes.from":        {"Sizes from", "Tailles selon"},
	"requests":          {"Requests", "Requêtes"},
	"restore":           {"Restore", "Restauration"},
	"retrieval":         {"Retrieval", "Récupération"},
	"egress.short":      {"Egress", "Sortie"},
	"classes":           {"Storage classes", "Classes de stockage"},
	"class":             {"Class", "Classe"},
	"needs.restore":     {"restore first, about %s h", "à restaurer d'abord, environ %s h"},
	"months":            {"Egress by month", "Sortie par mois"},
	"month":             {"Month", "Mois"},
	"volume":            {"Volume", "Volume"},
	"cost":              {"Cost", "Coût"},
	"waiver":            {"AWS's exit waiver", "L'exonération de sortie d'AWS"},
	"waiver.conditions": {"Its conditions, as AWS states them:", "Ses conditions, telles qu'AWS les énonce :"},
	"waiver.beyond":     {"Data still moving after day %d would be billed: about %s. The move would fit at %s.", "Les données encore en transit après le jour %d seraient facturées : environ %s. Le transfert tiendrait à %s."},
	"waiver.ok":         {"The move ends on day %s, inside the window; egress is then credited after review.", "Le transfert finit au jour %s, dans la fenêtre ; la sortie est alors remboursée après examen."},
	"mapping":           {"Where each resource lands", "Où va chaque ressource"},
	"kind":              {"Kind", "Type"},
	"name":              {"Name", "Nom"},
	"detail":            {"Detail", "Détail"},
	"target":            {"Target", "Cible"},
	"flags":             {"To check", "À vérifier"},
	"score":             {"Effort", "Effort"},
	"bill":              {"The bill", "La facture"},
	"service":           {"Service", "Service"},
	"charges":           {"Charges", "Charges"},
	"credits":           {"Credits", "Avoirs"},
	"refunds":           {"Refunds", "Remboursements"},
	"tax":               {"Tax", "Taxes"},
	"discounts":         {"Discounts", "Remises"},
	"net":               {"Net", "Net"},
	"egress.billed":     {"Data transfer out to the internet, as billed", "Transfert sortant vers Internet, tel que facturé"},
	"usage.type":        {"Usage type", "Type d'usage"},
	"after":             {"After the exit (your provider's prices)", "Après la sortie (prix de votre fournisseur)"},
	"unpriced":          {"Not priced", "Non chiffré"},
	"problems":          {"What could not be read", "Ce qui n'a pas pu être lu"},
	"problems.none":     {"Everything the assessment reads was readable.", "Tout ce que l'évaluation lit a pu être lu."},
	"assumptions":       {"Assumptions and prices", "Hypothèses et prix"},
	"bandwidth":         {"Bandwidth", "Bande passante"},
	"utilization":       {"sustained", "soutenue"},
	"start":             {"Start of the move", "Début du transfert"},
	"prices":            {"AWS prices", "Prix AWS"},
	"tiers":             {"Egress tiers per month", "Paliers de sortie par mois"},
	"free":              {"first %s GB free", "%s premiers Go gratuits"},
	"upto":              {"up to %s GB", "jusqu'à %s Go"},
	"beyond":            {"beyond", "au-delà"},
	"nobill":            {"No bill given (--cur): current spend unknown.", "Aucune facture fournie (--cur) : dépense actuelle inconnue."},
	"notarget":          {"No target prices given (--target-prices).", "Aucun prix cible fourni (--target-prices)."},
	"manual":            {"manual", "manuel"},
	"inventory":         {"Inventory", "Inventaire"},
	"instances":         {"EC2 instances", "Instances EC2"},
	"volumes":           {"EBS volumes", "Volumes EBS"},
	"snapshots":         {"EBS snapshots", "Instantanés EBS"},
	"databases":         {"RDS databases", "Bases RDS"},
	"zones":             {"Route 53 zones", "Zones Route 53"},
	"functions":         {"Lambda functions", "Fonctions Lambda"},
	"distributions":     {"CloudFront distributions", "Distributions CloudFront"},
	"other":             {"Other resources", "Autres ressources"},
	"estimated":         {"objects per class estimated from bytes", "objets par classe estimés d'après les octets"},
})
