"""Team ability: train w_i (ability) + v_iᵀv_j (teamwork) on match data, compare with baselines, look at v_i."""
import streamlit as st

from genviz import ui as backend
from genviz.core.errors import GenvizError
from genviz.team import figures as team_figures
from genviz.team import ui as team_backend
from genviz.team.analysis import abilities, progress_curves, ranked_pairs, teamwork_pca, teamwork_vectors
from genviz.team.training import TeamProgress

settings = backend.seed_sidebar()  # dataset and device are about images: not shown here
st.title("Team ability")
st.markdown("A team's score adds each hero's **ability** $w_i$ and the **teamwork** $v_i^\\top v_j$ of every pair "
            "in it; the team with the higher score is more likely to win (Li et al., NeurIPS 2018).")
st.latex(r"s(T) = \sum_{i\in T} w_i + \sum_{i<j\in T} v_i^\top v_j, \qquad "
         r"P(A \text{ beats } B) = \sigma\big(s(A) - s(B) + b\big)")
st.latex(r"\text{computed as}\quad \sum_{i<j} v_i^\top v_j = \tfrac12\Big(\big\|\textstyle\sum_i v_i\big\|^2 - "
         r"\sum_i \|v_i\|^2\Big) \quad\text{in } O(\text{team}\cdot d)")

with st.expander("Train on match data", expanded=team_backend.session_result() is None):
    choice = team_backend.data_source("team_data")
    if choice is not None:
        m = choice.matches
        st.caption(f"{m.source}: {m.n_train:,} training and {m.n_test:,} held-out matches, {m.n_heroes} heroes, "
                   f"teams of {m.team_size}. Baselines on the same split: ability only (v = 0, logistic regression "
                   "on hero indicators) and all-pairs logistic regression (one free weight per pair).")
        train_settings = backend.show_error(lambda: team_backend.settings_widgets(choice, settings.seed))
        if train_settings is not None and st.button("Train", type="primary", key="team_train"):
            try:
                team_backend.start_training(choice, train_settings)
            except GenvizError as err:
                st.error(str(err))

run = team_backend.current_run()


@st.fragment(run_every=0.5 if run is not None and run.job.snapshot().running else None)
def progress() -> None:
    run = team_backend.current_run()
    if run is None:
        return
    snap = run.job.snapshot()
    if snap.running:
        item = snap.latest
        done = item.progress if isinstance(item, TeamProgress) else 0.0
        what = f"{item.label} ({item.index}/{item.of}), epoch {item.record.epoch:.0f}" if item is not None else "starting"
        text = f"Training {what}" if not snap.queued else (
            f"Waiting for a training slot: number {snap.queue_position or '?'} in the queue (this server trains "
            f"{snap.queue_capacity} model(s) at once, one per core)")
        st.progress(done, text=f"{text} · {snap.elapsed:.1f} s")
        curves = progress_curves(snap.history)
        if curves:
            st.plotly_chart(team_figures.training_curves(curves, height=260), key="team_live_curve", width="stretch")
        if st.button("Stop", key="team_stop"):
            run.job.stop()
            st.rerun()
    elif st.session_state.get("team_finished_job") is not run.job:
        team_backend.finish(run)
        st.rerun()  # show the result and drop the refresh timer
    elif snap.error:
        st.error(snap.error)
    elif snap.status == "stopped":
        st.info("Training was stopped; the models below are as trained so far.")


progress()

result = team_backend.pick_result("team_view", choice.key if choice is not None else None)
if result is None:
    st.info("Train a model above (a few seconds on the HotS tournament data), or open a saved team checkpoint.")
    st.stop()

st.subheader(f"Held-out accuracy on {result.dataset}")
st.dataframe(result.table(), hide_index=True, width="stretch")
main = result.main
st.caption(f"d = {result.settings.dim}, λ = {result.settings.l2:g}, {result.settings.epochs} epochs, "
           f"lr = {result.settings.lr:g}, seed {result.settings.seed}. {result.source}.")
sel = result.selection
if sel:
    st.caption(f"d and λ were chosen by {sel['criterion']} on a validation split of the training matches "
               f"({sel['n_val']:,} held out, {sel['fraction']:.0%}, seed {sel['seed']}; {sel['n_fit']:,} fitted), over "
               f"d ∈ {sel['dims']} × λ ∈ {[f'{x:g}' for x in sel['l2s']]}; the baselines' λ on the same split "
               f"(ability only {sel['chosen']['ability_l2']:g}, all pairs {sel['chosen']['pairs_l2']:g}). The test "
               "matches were used once, for the table above.")
else:
    st.caption("These settings were not chosen on a validation split (train with `genviz team --select`, or open a "
               "shipped checkpoint, to see one chosen without the test matches).")
st.plotly_chart(team_figures.training_curves({f.label: f.curve for f in result.fitted}), key="team_curves",
                width="stretch")

st.subheader("Teamwork vectors v_i, projected by PCA")
projection = teamwork_pca(main.model)
pca_col, roles_col = st.columns([3, 2])
pca_col.plotly_chart(team_figures.teamwork_map(projection, result.roster), key="team_pca", width="stretch")
pca_col.caption(f"The first two principal axes keep {projection.explained[0]:.0%} + {projection.explained[1]:.0%} of "
                f"the variance of the {main.config.dim}-D teamwork vectors. Heroes close together team up with the "
                "same partners; colours are the official roles.")
with roles_col:
    st.markdown("**Do roles separate?**")
    v = teamwork_vectors(main.model)
    view = team_backend.role_view(v, tuple(result.roster.roles))
    if view.pca.n_heroes >= 3 and v.shape[1] > 0:
        c1, c2 = st.columns(2)
        c1.metric("k-NN role accuracy (PCA)", f"{view.pca.knn_accuracy:.0%}",
                  f"{view.pca.knn_accuracy - view.pca.knn_shuffled:+.0%} vs shuffled", delta_color="off")
        c2.metric("Silhouette (PCA)", f"{view.pca.silhouette:+.2f}", f"shuffled {view.pca.silhouette_shuffled:+.2f}",
                  delta_color="off")
    st.write(view.verdict)
    st.caption(f"Leave-one-out {view.pca.k}-NN vote and silhouette by role, each against {view.pca.shuffles} "
               "shuffles of the roles among the same heroes (p = share of shuffles at least as good).")
rows = team_backend.selection_rows(result)
if rows and any(r["role k-NN (all d)"] is not None for r in rows):
    st.caption("Roles under the regularisations tried on the validation split (factorised model at the chosen d, "
               "trained on the fitted part):")
    st.dataframe(rows, hide_index=True, width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Ability w_i, ranked")
    st.plotly_chart(team_figures.ability_ranking(abilities(main.model), result.roster),
                    key="team_w", width="stretch")
with right:
    st.subheader("Strongest and weakest pairs")
    c1, c2 = st.columns(2)
    n_pairs = c1.slider("Pairs of each", 3, 20, 10, key="team_n_pairs")
    min_games = c2.slider("Played together at least (games)", 0, 200, 20, step=5, key="team_min_games",
                          help="Pairs seen rarely in training have teamwork values the data hardly constrain.")
    strong, weak = ranked_pairs(main.model, result.roster, n_pairs, counts=result.pair_counts, min_games=min_games)
    if strong:
        st.plotly_chart(team_figures.pair_bars(strong, weak, height=max(300, 36 * n_pairs)), key="team_pairs",
                        width="stretch")
    else:
        st.info("No pair played together that often; lower the threshold.")

if team_backend.session_result() is result:
    with st.form("team_save_form"):
        name = st.text_input("Checkpoint name", f"team-{result.dataset}-d{result.settings.dim}", key="team_save_name")
        if st.form_submit_button("Save model", key="team_save"):
            try:
                st.success(f"Saved to {team_backend.save(result, name)}; the Match predictor can now open it.")
            except GenvizError as err:
                st.error(str(err))
