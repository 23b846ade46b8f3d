package landing

import (
	"fmt"
	"strings"

	"github.com/sortie-dev/sortie/internal/account"
)

// loadBalancers writes each ELBv2 load balancer whose listeners map onto
// Octavia's model: HTTP, TCP and UDP listeners forwarding to one target
// group become a listener, a pool, a health monitor and, where targets
// were read, members. What does not map is listed.
func (t *translator) loadBalancers() {
	groups := map[string]account.TargetGroup{}
	for _, g := range t.net.TargetGroups {
		groups[g.ARN] = g
	}
	ipOf := map[string]string{}
	for _, m := range t.net.Machines {
		if len(m.Interfaces) > 0 && len(m.Interfaces[0].PrivateIPs) > 0 {
			ipOf[m.ID] = m.Interfaces[0].PrivateIPs[0]
		}
	}
	for _, lb := range byID(t.net.LoadBalancers, func(l account.LoadBalancer) string { return l.ARN }) {
		if lb.Type != "application" && lb.Type != "network" {
			t.loss.add(FeatureLoadBalancer, NotTranslated, lb.Name, "", lb.Type+" load balancers have no Octavia counterpart")
			continue
		}
		var subnet string
		for _, s := range lb.Subnets {
			if n := t.names.lookup(tSubnet, s); n != "" {
				subnet = n
				break
			}
		}
		if subnet == "" {
			t.loss.add(FeatureLoadBalancer, NotTranslated, lb.Name, "", "none of its subnets was read")
			continue
		}
		name := t.names.name(tLB, lb.ARN, lb.Name)
		b := resource(tLB, name, fmt.Sprintf("AWS %s load balancer %s (%s)", lb.Type, lb.Name, lb.Scheme))
		b.set("name", str(name))
		b.set("vip_subnet_id", ref(tSubnet+"."+subnet+".id"))
		t.balancers = append(t.balancers, b)
		why := "one VIP in subnet " + subnet + "; AWS spreads it over " + fmt.Sprint(len(lb.Subnets)) + " subnets"
		if lb.Scheme == "internet-facing" {
			why += "; internet-facing: give the VIP port a floating IP"
		}
		t.loss.add(FeatureLoadBalancer, Different, lb.Name, "load balancer "+name, why)
		if len(lb.SecurityGroups) > 0 {
			t.loss.add(FeatureLoadBalancer, Different, lb.Name, "", "its security groups ("+strings.Join(lb.SecurityGroups, ", ")+") do not apply to an Octavia VIP: restrict with allowed_cidrs on the listeners")
		}
		for _, l := range lb.Listeners {
			t.listener(b, name, lb, l, groups, ipOf)
		}
	}
}

func (t *translator) listener(lbb *block, lbName string, lb account.LoadBalancer, l account.Listener, groups map[string]account.TargetGroup, ipOf map[string]string) {
	what := fmt.Sprintf("%s listener %s:%d", lb.Name, l.Protocol, l.Port)
	proto := map[string]string{"HTTP": "HTTP", "TCP": "TCP", "UDP": "UDP"}[l.Protocol]
	switch {
	case proto == "":
		t.loss.add(FeatureLoadBalancer, NotTranslated, what, "", l.Protocol+" needs the certificate in Barbican (TERMINATED_HTTPS): add it by hand once the certificate is moved")
		return
	case l.Action != "forward" || l.Forward == "":
		t.loss.add(FeatureLoadBalancer, NotTranslated, what, "", "its default action is "+l.Action+", not a forward to one target group")
		return
	}
	tg, ok := groups[l.Forward]
	if !ok {
		t.loss.add(FeatureLoadBalancer, NotTranslated, what, "", "target group "+l.Forward+" was not read")
		return
	}
	name := t.names.name(tListener, l.ARN, fmt.Sprintf("%s_%s_%d", lbName, strings.ToLower(l.Protocol), l.Port))
	lsb := resource(tListener, name, "")
	lsb.set("name", str(name))
	lsb.set("protocol", str(proto))
	lsb.set("protocol_port", num(l.Port))
	lsb.set("loadbalancer_id", ref(lbb.address()+".id"))
	t.balancers = append(t.balancers, lsb)
	pool := resource(tPool, name, fmt.Sprintf("AWS target group %s", tg.Name))
	pool.set("name", str(name))
	pool.set("protocol", str(map[string]string{"HTTP": "HTTP", "HTTPS": "HTTPS", "TCP": "TCP", "UDP": "UDP"}[tg.Protocol]))
	pool.set("lb_method", str("ROUND_ROBIN"))
	pool.set("listener_id", ref(lsb.address()+".id"))
	t.balancers = append(t.balancers, pool)
	mon := resource(tMonitor, name, "")
	mon.set("pool_id", ref(pool.address()+".id"))
	switch tg.HealthProtocol {
	case "HTTP", "HTTPS":
		mon.set("type", str(tg.HealthProtocol))
		path := tg.HealthPath
		if path == "" {
			path = "/"
		}
		mon.set("url_path", str(path))
	default:
		mon.set("type", str("TCP"))
	}
	mon.set("delay", num(30))
	mon.set("timeout", num(5))
	mon.set("max_retries", num(3))
	t.balancers = append(t.balancers, mon)
	t.loss.add(FeatureLoadBalancer, Exact, what, "listener "+name, "pool and health monitor "+tg.HealthProtocol+" "+tg.HealthPath)
	for i, target := range tg.Targets {
		ip := target
		if v, ok := ipOf[target]; ok {
			ip = v
		}
		mb := resource(tMember, fmt.Sprintf("%s_%d", name, i+1), "target "+target)
		mb.set("pool_id", ref(pool.address()+".id"))
		mb.set("address", str(ip))
		mb.set("protocol_port", num(tg.Port))
		t.balancers = append(t.balancers, mb)
	}
}
