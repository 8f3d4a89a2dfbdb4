// Package orb is Maestro's framework for request managers ("ORBs") over the
// IIOP bridge (dissertation §3.3.3–§3.3.4): object keys, the Dispatcher that
// routes requests to the ORB bound to their object key, the ORB interface,
// the Simple ORB with its ObjectAdaptor, and Etc, which publishes object
// references as files for clients.
package orb
