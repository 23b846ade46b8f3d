# Load balancers (Octavia).

# AWS application load balancer moodle-alb (internet-facing)
resource "openstack_lb_loadbalancer_v2" "moodle_alb" {
  name          = "moodle_alb"
  vip_subnet_id = openstack_networking_subnet_v2.public_a.id
}

resource "openstack_lb_listener_v2" "moodle_alb_http_80" {
  name            = "moodle_alb_http_80"
  protocol        = "HTTP"
  protocol_port   = 80
  loadbalancer_id = openstack_lb_loadbalancer_v2.moodle_alb.id
}

# AWS target group moodle-app
resource "openstack_lb_pool_v2" "moodle_alb_http_80" {
  name        = "moodle_alb_http_80"
  protocol    = "HTTP"
  lb_method   = "ROUND_ROBIN"
  listener_id = openstack_lb_listener_v2.moodle_alb_http_80.id
}

resource "openstack_lb_monitor_v2" "moodle_alb_http_80" {
  pool_id     = openstack_lb_pool_v2.moodle_alb_http_80.id
  type        = "HTTP"
  url_path    = "/health"
  delay       = 30
  timeout     = 5
  max_retries = 3
}

# target i-0ca1000000008a001
resource "openstack_lb_member_v2" "moodle_alb_http_80_1" {
  pool_id       = openstack_lb_pool_v2.moodle_alb_http_80.id
  address       = "10.0.0.10"
  protocol_port = 8080
}
