package assess

import "github.com/sortie-dev/sortie/internal/lang"

// messages are the plan's own texts — targets, flags, details, notes —
// written in the language the plan is built in (PlanOptions.Lang). The
// report's headings are the report's.
var messages = lang.NewCatalog("assess plan", map[string]lang.Text{
	// Notes under the assumptions.
	"note.egress":   {"Egress is priced on the move's own traffic; other traffic leaving the account in the same months shares the free allowance and the tiers.", "La sortie est chiffrée sur le seul trafic du transfert ; le reste du trafic sortant des mêmes mois partage la franchise et les paliers."},
	"note.restore":  {"Archived objects (Glacier Flexible Retrieval, Deep Archive) are restored with the Standard tier before they are copied; restores run before the transfer.", "Les objets archivés (Glacier Flexible Retrieval, Deep Archive) sont restaurés au niveau Standard avant d'être copiés ; les restaurations précèdent le transfert."},
	"note.gb":       {"One GB is 2^30 bytes, as AWS bills.", "Un Go vaut 2^30 octets, comme AWS le facture."},
	"note.effort":   {"Each item scores 1 (routine) to 5 (a project of its own): a base for its kind, plus one for each flag that needs work, at most 5.", "Chaque élément est noté de 1 (courant) à 5 (un projet à part entière) : une base selon son type, plus un par point à traiter, 5 au plus."},
	"note.sizes":    {"Bucket sizes are unknown for %d of %d buckets: the data, time and egress figures count only the buckets whose size could be read.", "La taille de %d compartiments sur %d est inconnue : les chiffres de données, de durée et de sortie ne comptent que les compartiments dont la taille a pu être lue."},
	"note.waiverfr": {"AWS states the waiver's conditions in English; they are quoted as AWS states them.", "AWS énonce les conditions de l'exonération en anglais ; elles sont citées telles quelles."},

	// Kinds, as the plan and the report name them.
	"kind.bucket":          {"bucket", "compartiment"},
	"kind.instance":        {"instance", "instance"},
	"kind.volume":          {"volume", "volume"},
	"kind.snapshot":        {"snapshot", "instantané"},
	"kind.database":        {"database", "base de données"},
	"kind.zone":            {"DNS zone", "zone DNS"},
	"kind.iam":             {"IAM", "IAM"},
	"kind.function":        {"function", "fonction"},
	"kind.distribution":    {"CDN distribution", "distribution CDN"},
	"kind.appstream-fleet": {"AppStream fleet", "flotte AppStream"},
	"kind.appstream-stack": {"AppStream stack", "pile AppStream"},
	"kind.workspace":       {"WorkSpace", "WorkSpace"},
	"kind.file-system":     {"EFS file system", "système de fichiers EFS"},
	"kind.other":           {"other", "autre"},

	// Buckets.
	"bucket.detail":         {"%s objects", "%s objets"},
	"bucket.detail.unknown": {"size unknown", "taille inconnue"},
	"bucket.target":         {"bucket %s on %s", "compartiment %s sur %s"},
	"bucket.rename":         {"%s refuses the name %s (%s): create %s instead, copy with sortie copy s3://%s s3://%s and pass --bucket-map %s to sortie policy", "%s refuse le nom %s (%s) : créez plutôt %s, copiez avec sortie copy s3://%s s3://%s et passez --bucket-map %s à sortie policy"},
	"name.length":           {"3 to 63 characters", "de 3 à 63 caractères"},
	"name.upper":            {"upper case", "majuscules"},
	"name.underscore":       {"underscore", "tiret bas"},
	"name.characters":       {"characters other than a–z, 0–9, . and -", "caractères autres que a–z, 0–9, . et -"},
	"name.ends":             {"must begin and end with a letter or digit", "doit commencer et finir par une lettre ou un chiffre"},
	"name.dots":             {"two periods, or a period beside a hyphen", "deux points, ou un point à côté d'un tiret"},
	"name.ip":               {"looks like an IP address", "ressemble à une adresse IP"},
	"name.reserved-fix":     {"a prefix or suffix AWS reserves", "un préfixe ou suffixe réservé par AWS"},
	"bucket.versioning":     {"versioning: enable it on the target before copying (only current versions are copied)", "gestion des versions : activez-la sur la cible avant la copie (seules les versions courantes sont copiées)"},
	"bucket.noversioning":   {"%s has no versioning: older versions stay behind", "%s n'a pas de gestion des versions : les anciennes versions restent chez AWS"},
	"bucket.nolifecycle":    {"%d lifecycle rules: %s has no lifecycle; expire objects another way", "%d règles de cycle de vie : %s n'en a pas ; faites expirer les objets autrement"},
	"bucket.lifecycle":      {"%d lifecycle rules to recreate; storage-class transitions have no equivalent", "%d règles de cycle de vie à recréer ; les changements de classe de stockage n'ont pas d'équivalent"},
	"bucket.replication":    {"replication: set up the target's own replication by hand", "réplication : configurez à la main celle de la cible"},
	"bucket.kms":            {"SSE-KMS: keys stay at AWS; configure the target's KMS (MinIO KES, Ceph with Vault)", "SSE-KMS : les clés restent chez AWS ; configurez le KMS de la cible (MinIO KES, Ceph avec Vault)"},
	"bucket.nokms":          {"SSE-KMS: keys stay at AWS and %s has no KMS; encrypt at rest on the disks instead", "SSE-KMS : les clés restent chez AWS et %s n'a pas de KMS ; chiffrez plutôt les disques"},
	"bucket.nolock":         {"Object Lock (retention, legal holds): %s cannot enforce it", "Verrouillage d'objets (rétention, conservation légale) : %s ne peut pas l'appliquer"},
	"bucket.lock":           {"Object Lock: create the target bucket with locking on; retention dates are carried per object by hand", "Verrouillage d'objets : créez le compartiment cible verrouillable ; les dates de rétention se reportent objet par objet, à la main"},
	"bucket.notagging":      {"%s has no object tagging: tags are not carried", "%s n'a pas d'étiquettes d'objets : elles ne sont pas reprises"},
	"bucket.nopolicies":     {"%s has no bucket policies: access becomes per-key read/write/owner (sortie policy)", "%s n'a pas de politiques de compartiment : l'accès devient lecture/écriture/propriétaire par clé (sortie policy)"},
	"bucket.public":         {"public access is not fully blocked on AWS: check who reads it anonymously (sortie policy)", "l'accès public n'est pas entièrement bloqué chez AWS : vérifiez qui le lit anonymement (sortie policy)"},
	"bucket.archived":       {"archived objects: restore before copying", "objets archivés : à restaurer avant la copie"},
	"bucket.sizes":          {"size unknown (%s): measure it before planning the move (sortie assess --deep, or CloudWatch read access)", "taille inconnue (%s) : mesurez-la avant de planifier le transfert (sortie assess --deep, ou un accès en lecture à CloudWatch)"},
	"sizes.nometrics":       {"CloudWatch has no storage metrics for it: an empty bucket, or one created in the last two days", "CloudWatch n'a pas de mesure de stockage pour lui : compartiment vide, ou créé depuis moins de deux jours"},

	// Instances, volumes, snapshots, databases.
	"state.running":       {"running", "en marche"},
	"state.stopped":       {"stopped", "arrêtée"},
	"state.pending":       {"pending", "en démarrage"},
	"state.stopping":      {"stopping", "en arrêt"},
	"instance.detail":     {"%s, %s", "%s, %s"},
	"instance.target":     {"OpenStack server, flavour %s", "serveur OpenStack, gabarit %s"},
	"instance.unknown":    {"unknown instance type %s: choose a flavour by hand", "type d'instance %s inconnu : choisissez un gabarit à la main"},
	"instance.large":      {"larger than the standard SCS flavours: ask the provider for %s", "plus grand que les gabarits SCS standard : demandez %s au fournisseur"},
	"instance.gpu":        {"GPU or accelerator: check the provider offers one", "GPU ou accélérateur : vérifiez que le fournisseur en propose"},
	"instance.windows":    {"Windows: licences are no longer included; bring your own", "Windows : les licences ne sont plus incluses ; apportez les vôtres"},
	"volume.detail":       {"%d GiB %s", "%d Gio %s"},
	"volume.target":       {"Cinder block volume, %d GiB", "volume bloc Cinder, %d Gio"},
	"volume.unattached":   {"not attached: archive or drop it", "non attaché : archivez-le ou supprimez-le"},
	"volume.iops":         {"provisioned IOPS: ask for a matching volume type", "IOPS provisionnées : demandez un type de volume équivalent"},
	"snapshot.detail":     {"%d GiB", "%d Gio"},
	"snapshot.target":     {"Cinder backup or Glance image (export it first)", "sauvegarde Cinder ou image Glance (exportez-le d'abord)"},
	"database.detail":     {"%s %s, %s, %d GiB", "%s %s, %s, %d Gio"},
	"database.postgres":   {"PostgreSQL %s on the target (managed or a VM): sortie db copy, --online with logical replication until sortie db cutover", "PostgreSQL %s sur la cible (géré ou sur une VM) : sortie db copy, --online avec réplication logique jusqu'à sortie db cutover"},
	"database.mysql":      {"MySQL/MariaDB on the target (managed or a VM): sortie db copy, --online with binlog replication until sortie db cutover", "MySQL/MariaDB sur la cible (géré ou sur une VM) : sortie db copy, --online avec réplication par binlog jusqu'à sortie db cutover"},
	"database.commercial": {"%s: a commercial engine; licences and hosting need a decision", "%s : un moteur commercial ; licences et hébergement sont à décider"},
	"database.aurora":     {"Aurora: check for Aurora-only features (global databases, backtrack)", "Aurora : vérifiez l'usage de fonctions propres à Aurora (bases globales, backtrack)"},
	"database.plan":       {"first, the pre-flight (read-only): %s", "d'abord, le pré-vol (en lecture seule) : %s"},
	"database.multiaz":    {"Multi-AZ: plan high availability on the target (Patroni, Galera or the provider's DBaaS)", "Multi-AZ : prévoyez la haute disponibilité sur la cible (Patroni, Galera ou le DBaaS du fournisseur)"},
	"zone.detail":         {"%d records", "%d enregistrements"},
	"zone.target":         {"zone file for the target's DNS (BIND format)", "fichier de zone pour le DNS de la cible (format BIND)"},
	"zone.private":        {"private zone tied to a VPC: recreate it on the target's internal DNS", "zone privée liée à un VPC : recréez-la sur le DNS interne de la cible"},
	"iam.detail":          {"%d users, %d groups, %d roles, %d policies", "%d utilisateurs, %d groupes, %d rôles, %d politiques"},
	"iam.target":          {"users, groups and policies in the target's dialect (sortie policy)", "utilisateurs, groupes et politiques dans le dialecte de la cible (sortie policy)"},
	"iam.service":         {"%d roles used only by AWS services: nothing to carry", "%d rôles utilisés par les seuls services AWS : rien à reprendre"},
	"iam.roles":           {"%d roles assumed by people or other accounts: no direct equivalent; map to users or OIDC", "%d rôles endossés par des personnes ou d'autres comptes : pas d'équivalent direct ; passez par des utilisateurs ou OIDC"},
	"function.flag":       {"no Lambda on the target: run it as a container or a job (Knative, OpenFaaS, cron)", "pas de Lambda sur la cible : exécutez-la en conteneur ou en tâche (Knative, OpenFaaS, cron)"},
	"distribution.flag":   {"CDN: the provider's CDN or a caching proxy (Varnish, nginx); certificates and aliases move by hand", "CDN : celui du fournisseur ou un proxy cache (Varnish, nginx) ; certificats et alias se déplacent à la main"},
	"other.detail":        {"%d resources", "%d ressources"},
	"other.flag":          {"not read in detail by sortie: review these by hand", "non lues en détail par sortie : à examiner à la main"},
	"counted.detail":      {"%d, counted by the tagging API (tagged ones only; their reader was refused)", "%d, comptés par l'API d'étiquetage (les seuls étiquetés ; leur lecture a été refusée)"},

	// The virtual lab: AppStream 2.0.
	"fleet.detail":         {"%s × %d, %s, %s", "%s × %d, %s, %s"},
	"fleet.ALWAYS_ON":      {"always on", "toujours allumée"},
	"fleet.ON_DEMAND":      {"on demand", "à la demande"},
	"fleet.ELASTIC":        {"elastic", "élastique"},
	"fleet.target":         {"VDI on the target: %d× OpenStack servers of flavour %s from a rebuilt image, served in the browser by Apache Guacamole (RDP/VNC) or noVNC", "VDI sur la cible : %d× serveurs OpenStack de gabarit %s sur une image reconstruite, servis dans le navigateur par Apache Guacamole (RDP/VNC) ou noVNC"},
	"fleet.target.unknown": {"VDI on the target (Apache Guacamole or noVNC in front of OpenStack servers): unknown instance type %s, choose a flavour by hand", "VDI sur la cible (Apache Guacamole ou noVNC devant des serveurs OpenStack) : type d'instance %s inconnu, choisissez un gabarit à la main"},
	"fleet.gpu":            {"GPU streaming: GPU flavours (NVIDIA vGPU or passthrough) must exist at the provider, with their driver licences", "streaming GPU : il faut des gabarits GPU chez le fournisseur (NVIDIA vGPU ou passthrough), avec les licences de pilote"},
	"fleet.windows":        {"Windows desktops: AppStream includes the Microsoft RDS licences; on the target they are bought (SPLA through the provider) or the lab moves to Linux desktops", "bureaux Windows : AppStream inclut les licences Microsoft RDS ; sur la cible elles s'achètent (SPLA chez le fournisseur) ou le labo passe à des bureaux Linux"},
	"fleet.image":          {"image %s: rebuild it (applications, licence servers) as a Glance image", "image %s : reconstruisez-la (applications, serveurs de licences) en image Glance"},
	"fleet.alwayson":       {"always on: %d servers run around the clock; schedule or autoscale them", "toujours allumée : %d serveurs tournent en permanence ; planifiez-les ou ajustez-les automatiquement"},
	"stack.detail":         {"storage: %s", "stockage : %s"},
	"stack.detail.none":    {"no storage connector", "aucun connecteur de stockage"},
	"stack.target":         {"the VDI portal users sign in to: a Guacamole connection group behind the institution's SSO (SAML or OIDC)", "le portail VDI où les utilisateurs se connectent : un groupe de connexions Guacamole derrière le SSO de l'établissement (SAML ou OIDC)"},
	"stack.homefolders":    {"home folders are in an S3 bucket (appstream2-…): copy them with the buckets onto the VDI's file share (NFS or CephFS)", "les dossiers personnels sont dans un compartiment S3 (appstream2-…) : copiez-les avec les compartiments vers le partage de fichiers du VDI (NFS ou CephFS)"},
	"stack.clouddrive":     {"%s connector: users keep files there; mount it in the desktop image instead", "connecteur %s : les utilisateurs y gardent des fichiers ; montez-le plutôt dans l'image du bureau"},

	// WorkSpaces.
	"workspace.detail":         {"%s, %s, %d+%d GiB, %s", "%s, %s, %d+%d Gio, %s"},
	"workspace.target":         {"a persistent desktop VM of flavour %s, reached through Apache Guacamole or noVNC; its user volume a Cinder volume", "une VM de bureau persistante de gabarit %s, accessible par Apache Guacamole ou noVNC ; son volume utilisateur un volume Cinder"},
	"workspace.target.unknown": {"a persistent desktop VM reached through Apache Guacamole or noVNC: compute type %s unknown, choose a flavour by hand", "une VM de bureau persistante accessible par Apache Guacamole ou noVNC : type de calcul %s inconnu, choisissez un gabarit à la main"},
	"workspace.gpu":            {"graphics bundle: needs a GPU flavour at the provider", "offre graphique : il faut un gabarit GPU chez le fournisseur"},
	"workspace.directory":      {"joined to directory %s: the desktops need the institution's directory (AD or LDAP) reachable from the target", "jointe à l'annuaire %s : les bureaux doivent joindre l'annuaire de l'établissement (AD ou LDAP) depuis la cible"},
	"workspace.licence":        {"Windows desktop licences are included at AWS; on the target they are the institution's (or a Linux desktop)", "les licences de bureau Windows sont incluses chez AWS ; sur la cible elles sont à la charge de l'établissement (ou un bureau Linux)"},

	// EFS.
	"efs.detail": {"%s, %s throughput, %d mount targets", "%s, débit %s, %d points de montage"},
	"efs.target": {"an NFS share: the provider's Manila (NFS or CephFS) or an NFS server on a VM; copy with rsync or fpsync from a server that mounts both", "un partage NFS : Manila chez le fournisseur (NFS ou CephFS) ou un serveur NFS sur une VM ; copiez avec rsync ou fpsync depuis un serveur qui monte les deux"},
	"efs.bytes":  {"%s leave AWS through NFS, not sortie copy: add them to the transfer time and egress", "%s quittent AWS par NFS, pas par sortie copy : ajoutez-les à la durée du transfert et à la sortie"},

	// The after-exit estimate.
	"cost.storage":      {"object storage, %s GB", "stockage objet, %s Go"},
	"cost.block":        {"block storage, %d GiB (volumes, snapshots, databases)", "stockage bloc, %d Gio (volumes, instantanés, bases)"},
	"cost.instance":     {"%s for %s", "%s pour %s"},
	"cost.database":     {"%s for database %s", "%s pour la base %s"},
	"cost.fleet":        {"%d× %s for AppStream fleet %s (always on)", "%d× %s pour la flotte AppStream %s (toujours allumée)"},
	"cost.workspace":    {"%s for WorkSpace %s", "%s pour le WorkSpace %s"},
	"unpriced.instance": {"%s (%s → %s)", "%s (%s → %s)"},
	"unpriced.database": {"database %s (%s)", "base %s (%s)"},
	"unpriced.sizes":    {"object storage of %d buckets of unknown size", "stockage objet de %d compartiments de taille inconnue"},
	"unpriced.fleet":    {"AppStream fleet %s (%s, %s)", "flotte AppStream %s (%s, %s)"},
	"unpriced.efs":      {"EFS file system %s (%s): a file share's price", "système de fichiers EFS %s (%s) : prix d'un partage de fichiers"},

	// Spend on the bill with nothing in the inventory.
	"service.AWSDataTransfer":      {"traffic out of AWS and between Regions: after the exit, the provider's traffic prices", "trafic sortant d'AWS et entre Régions : après la sortie, les prix de trafic du fournisseur"},
	"service.ComputeSavingsPlans":  {"a Savings Plan commitment: owed until its term ends, whatever moves", "un engagement Savings Plan : dû jusqu'à son terme, quoi qu'on déplace"},
	"service.AmazonCloudWatch":     {"monitoring and logs: Prometheus, Grafana and Loki on the target", "supervision et journaux : Prometheus, Grafana et Loki sur la cible"},
	"service.awskms":               {"KMS keys: the target's key manager (Barbican, Vault)", "clés KMS : le gestionnaire de clés de la cible (Barbican, Vault)"},
	"service.AWSSupportBusiness":   {"AWS support plan: ends with the account", "offre de support AWS : prend fin avec le compte"},
	"service.AWSSupportEnterprise": {"AWS support plan: ends with the account", "offre de support AWS : prend fin avec le compte"},
	"service.AmazonVPC":            {"networking (NAT gateways, VPN, endpoints): the target's Neutron networks and routers", "réseau (passerelles NAT, VPN, points de terminaison) : réseaux et routeurs Neutron de la cible"},
	"service.unknown":              {"not in the inventory sortie reads: find what it is used for", "absent de l'inventaire que lit sortie : voyez à quoi il sert"},
})

// KindName is how the plan and its report name an item's kind in l.
func KindName(l lang.Lang, kind string) string {
	if messages.Has("kind." + kind) {
		return messages.T(l, "kind."+kind)
	}
	return kind
}

// Messages is the plan's catalog, for tests that check it is complete.
func Messages() *lang.Catalog { return messages }
