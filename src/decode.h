/*
 * decode.h: Kargo and Kubernetes objects of a manifest document into the
 * structs of objects.h, one decoder per kind (ProjectConfig, ClusterConfig,
 * Secret, Warehouse, Promotion) and kubectl's Lists of them. An object with
 * an error is dropped, the others kept, so one bad object does not hide
 * the problems of the rest.
 */
#ifndef DECODE_H
#define DECODE_H

#include "ydoc.h"

/* Decodes the object (or List) n of the document into d->set; problems go
 * to d->dl. Kinds outside the table are skipped. */
void decode_object(struct ydoc *d, const yaml_node_t *n);

/* Decodes the root of doc (which has one) with a fresh budget, skipping
 * an empty document as kubectl does. */
void decode_document(struct ydoc *d, yaml_document_t *doc);

/* A generic receiver's settings (the mapping v under "generic") into
 * r->generic (decode_generic.c). */
void decode_generic(struct ydoc *d, const yaml_node_t *v, struct obj_receiver *r);

#endif
