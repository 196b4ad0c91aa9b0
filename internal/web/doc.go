// Package web is verdict's web pages: server-rendered HTML over the engine,
// for the people who would rather look than read JSON. It sits beside
// internal/httpapi, at the same level as cmd/verdict:
//
//	browser -> web (viewer, html/template, SVG charts) -> engine -> leaves
//
// Pages: the task list (GET /), a task's rules, schedule, leaderboard with
// confidence intervals drawn as error bars and its best score over time
// (GET /tasks/{id}), a submission's status, gates and the picture that
// fits its task — ROC curve, confusion matrix or predicted-vs-true scatter
// (GET /submissions/{id}) — a credential with its verification
// (GET /credentials/{id}), and the marketplace (package market,
// Config.Market): search (GET /market, a
// plain GET form) and a certified model's card, verification and bundle
// link (GET /market/{id}). Static assets are embedded under /static/.
//
// A participant is shown by their display name beside their id, a did:key
// shortened with the full id in a title attribute, so no page scrolls
// sideways (the browser test checks every page at 1280 and 390 px). A
// baseline far from the entrants is drawn off the scale; after close the
// history chart follows the final ranking's rule, so it ends where the
// private table does. Gate results are worded by gate.Describe, errors by
// engine.Message, ids shortened by engine.ShortID.
//
// It never re-implements a rule: who may see what is the engine's Viewer,
// returned for each request by Config.Viewer (anonymous by default), and
// every picture of predictions is engine.Diagnostics, which never shows
// the private part before close. It never runs a guest, and it writes
// nothing. Pages work without JavaScript; a small script refreshes an open
// task's leaderboard. Charts are hand-made SVG styled by the page's CSS
// (RATIONALE.md, "Why hand-made SVG charts?").
//
// # Usage
//
//	pages := web.New(e, web.Config{})
//	mux := http.NewServeMux()
//	mux.Handle("/v1/", api)
//	mux.Handle("/", pages)
//	http.ListenAndServe("127.0.0.1:8080", mux)
package web
