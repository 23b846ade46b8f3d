package database

import "github.com/sortie-dev/sortie/internal/lang"

// copyMessages holds db copy's summary: its words, and each note's text
// (what the operator must still do or know). Arguments are the note's
// Args, in order.
var copyMessages = lang.NewCatalog("database copy", map[string]lang.Text{
	"title":         {"sortie db copy", "sortie db copy"},
	"source":        {"source", "source"},
	"target":        {"target", "cible"},
	"tables":        {"tables", "tables"},
	"tables-line":   {"%s", "%s"},
	"tables-resume": {"%s (%s from an earlier run)", "%s (dont %s d'une exécution précédente)"},
	"rows":          {"rows", "lignes"},
	"data":          {"data", "données"},
	"data-line":     {"%s streamed", "%s transférés"},
	"large-obj":     {"large objects", "grands objets"},
	"lo-line":       {"%s (%s)", "%s (%s)"},
	"sequences":     {"sequences", "séquences"},
	"seq-line":      {"%s set from the source's values", "%s réglées sur les valeurs de la source"},
	"counters":      {"counters", "compteurs"},
	"counter-line":  {"%s AUTO_INCREMENT counters set from the source's", "%s compteurs AUTO_INCREMENT réglés sur ceux de la source"},
	"roles":         {"roles created", "rôles créés"},
	"roles-line":    {"%s (without passwords)", "%s (sans mot de passe)"},
	"binlog":        {"binlog position", "position binlog"},
	"phases":        {"phases done", "phases faites"},
	"time":          {"time", "durée"},
	"table":         {"table", "table"},
	"size":          {"size", "taille"},
	"seconds":       {"seconds", "secondes"},
	"earlier":       {"earlier run", "exécution précédente"},
	"more-tables":   {"… and %d more tables (--format json lists them all)", "… et %d autres tables (--format json les liste toutes)"},
	"failed":        {"FAILED", "ÉCHEC"},
	"failures":      {"Failures", "Échecs"},
	"todo":          {"to do", "à faire"},
	"todo-title":    {"What is left to do", "Ce qui reste à faire"},
	"object":        {"object", "objet"},
	"reason":        {"reason", "raison"},
	"summary-ok":    {"done: %s tables, %s rows in %s", "terminé : %s tables, %s lignes en %s"},
	"summary-bad": {"%s failed: run the same command again to retry them (finished tables are kept, the phases after the data wait for them)",
		"%s en échec : relancer la même commande pour les reprendre (les tables finies sont gardées, les phases après les données les attendent)"},
	"facts": {"Facts", "Faits"},

	// Notes.
	"roles-no-password": {"roles %s were created at the target without passwords: set them (ALTER ROLE … PASSWORD '…') and hand them to the applications",
		"les rôles %s ont été créés à la cible sans mot de passe : les définir (ALTER ROLE … PASSWORD '…') et les transmettre aux applications"},
	"lo-acl": {"%s large objects have grants at the source that were not copied: grant them again at the target (GRANT SELECT ON LARGE OBJECT …)",
		"%s grands objets ont à la source des droits qui n'ont pas été copiés : les accorder à nouveau à la cible (GRANT SELECT ON LARGE OBJECT …)"},
	"resumed-snapshot": {"this copy was resumed: the tables of an earlier run come from that run's moment of the source, not this one's; if the source was written meanwhile, copy again into an empty database",
		"cette copie a été reprise : les tables d'une exécution précédente viennent de l'état de la source à ce moment-là, pas de celui-ci ; si la source a été écrite entre-temps, recopier dans une base vide"},
	"verify": {"compare the two sides: sortie db verify %s %s", "comparer les deux côtés : sortie db verify %s %s"},
	"online-lo": {"%s large objects were copied at the snapshot; logical replication does not carry large objects, so one changed at the source from now on is not at the target (the cut-over's verify compares them, and stops if one differs)",
		"%s grands objets copiés à l'instant de l'instantané ; la réplication logique ne transporte pas les grands objets : un grand objet modifié à la source désormais ne sera pas à la cible (la vérification de la bascule les compare, et s'arrête si l'un diffère)"},
	"online": {"replication %s keeps the target up to date: when ready, sortie db cutover %s %s --freeze (or sortie db abort to give up; a PostgreSQL slot left behind keeps the source's WAL)",
		"la réplication %s tient la cible à jour : le moment venu, sortie db cutover %s %s --freeze (ou sortie db abort pour renoncer ; un slot PostgreSQL laissé en place retient les WAL de la source)"},
	"events-copied": {"events %s were copied as they are at the source and run at the target too: disable them there until the cut-over (ALTER EVENT … DISABLE)",
		"les événements %s ont été copiés tels qu'à la source et s'exécutent aussi à la cible : les désactiver là-bas jusqu'à la bascule (ALTER EVENT … DISABLE)"},
	"definers": {"views, routines, triggers and events run as %s: these accounts must exist at the target (sortie does not create MySQL accounts)",
		"des vues, routines, déclencheurs et événements s'exécutent en tant que %s : ces comptes doivent exister à la cible (sortie ne crée pas les comptes MySQL)"},
	"binlog-recorded": {"the source's binary log position of the copy's snapshot is %s (recorded in the journal, for --online)",
		"la position du journal binaire de la source à l'instant de la copie est %s (notée dans le journal, pour --online)"},
	"binlog-none": {"no binary log position was recorded (the source's binary log is off, or the login lacks the privilege to read it): --online will need one",
		"aucune position du journal binaire n'a été notée (journal binaire désactivé à la source, ou privilège manquant pour le lire) : --online en aura besoin"},
})

// CopyMessages returns db copy's catalog, for tests that check it is
// whole.
func CopyMessages() *lang.Catalog { return copyMessages }
