/* pqlazy.h: libpq, loaded only when check-db really connects to a database. */
#ifndef PQLAZY_H
#define PQLAZY_H

#include <libpq-fe.h>

#include "base/base.h"

/*
 * Linking libpq would make every run load libssl, GSSAPI and LDAP, and the
 * no-op apply after each apt operation must not pay for that. The table
 * holds pointers of exactly libpq's declared types, so a call through it
 * is checked by the compiler like a direct call.
 */
#define PQ_FUNCTIONS(X) \
	X(PQconnectdbParams) \
	X(PQconninfoParse) \
	X(PQconninfoFree) \
	X(PQstatus) \
	X(PQerrorMessage) \
	X(PQconnectionNeedsPassword) \
	X(PQsetNoticeProcessor) \
	X(PQfinish) \
	X(PQhost) \
	X(PQport) \
	X(PQdb) \
	X(PQuser) \
	X(PQserverVersion) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQresultStatus) \
	X(PQresultErrorMessage) \
	X(PQntuples) \
	X(PQgetvalue) \
	X(PQgetisnull) \
	X(PQclear) \
	X(PQescapeIdentifier) \
	X(PQfreemem)

struct pq_api {
#define PQ_POINTER(name) __typeof__(name) *name;
	PQ_FUNCTIONS(PQ_POINTER)
#undef PQ_POINTER
};

/*
 * Load libpq on first use; later calls return the same table. NULL (with
 * e set) when the library cannot be loaded.
 */
const struct pq_api	*pq_load(struct err *e);

#endif
