;;; e2e.el --- falconer's Emacs (eglot) snippet, end to end  -*- lexical-binding: t -*-

;; Run by scripts/test-emacs: emacs --batch -Q -l e2e.el, in a copy of
;; editors/fixtures/workspace, with FALCONER_BIN naming the server.
;; Uses exactly the README's eglot configuration and checks: the client
;; connects; the unknown-field diagnostic on proc.nmae reaches Flymake at
;; 6:34; completion after `proc.' offers proc.name; hover on the macro
;; shows its definition; go to definition jumps to base_rules.yaml.
;; Prints "ok:" lines; any failure exits 1 saying what was expected.

(require 'cl-lib)
(package-initialize)
(require 'yaml-mode)
(require 'eglot)
(require 'flymake)

(defvar falconer-bin (or (getenv "FALCONER_BIN") (error "FALCONER_BIN is not set")))

(defun e2e-fail (fmt &rest args)
  (princ (format "FAIL: %s\n" (apply #'format fmt args)) #'external-debugging-output)
  (kill-emacs 1))

(defun e2e-ok (fmt &rest args)
  (princ (format "ok: %s\n" (apply #'format fmt args))))

(defun e2e-wait (what pred &optional seconds)
  "Waits (processing server output) until PRED is non-nil; returns it."
  (let ((end (+ (float-time) (or seconds 30)))
        (v nil))
    (while (and (not (setq v (funcall pred))) (< (float-time) end))
      (accept-process-output nil 0.05))
    (or v (e2e-fail "timed out waiting for %s" what))))

;; The README's snippet (Emacs 29 has eglot built in; here it is Debian's
;; elpa-eglot on Emacs 28), with the server binary under test.
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               `((yaml-mode yaml-ts-mode) . (,falconer-bin "lsp"))))

(setq eglot-sync-connect 10
      eglot-autoshutdown t
      flymake-no-changes-timeout nil)

(let ((ws default-directory))
  ;; A project root for eglot: the workspace folder.
  (with-temp-file (expand-file-name ".project" ws))
  (add-hook 'project-find-functions (lambda (dir) (cons 'transient ws)))

  (find-file (expand-file-name "local_rules.yaml" ws))
  (unless (derived-mode-p 'yaml-mode) (yaml-mode))
  (apply #'eglot--connect (eglot--guess-contact))
  (e2e-wait "eglot to manage local_rules.yaml" (lambda () (eglot-current-server)))
  (e2e-ok "eglot connected: %s" (plist-get (eglot--server-info (eglot-current-server)) :name))

  ;; 1. The diagnostic, in Flymake, at the README's position (6:34).
  (let* ((diags (e2e-wait "the unknown-field diagnostic in Flymake"
                          (lambda ()
                            (flymake-start)
                            (cl-remove-if-not
                             (lambda (d) (string-match-p "proc.nmae" (flymake-diagnostic-text d)))
                             (flymake-diagnostics)))))
         (d (car diags))
         (beg (flymake-diagnostic-beg d)))
    (save-excursion
      (goto-char beg)
      (unless (and (= (line-number-at-pos) 6) (= (1+ (current-column)) 34))
        (e2e-fail "diagnostic at %d:%d, expected 6:34" (line-number-at-pos) (1+ (current-column)))))
    (unless (string-match-p "did you mean 'proc.name'" (flymake-diagnostic-text d))
      (e2e-fail "diagnostic text lacks the suggestion: %s" (flymake-diagnostic-text d)))
    (e2e-ok "Flymake: %s at 6:34" (car (split-string (flymake-diagnostic-text d) "\n"))))

  ;; 2. Completion after `proc.' at the end of the condition.
  (goto-char (point-min))
  (forward-line 5)
  (end-of-line)
  (insert " and proc.")
  (let* ((capf (e2e-wait "eglot's completion function" #'eglot-completion-at-point))
         (table (nth 2 capf))
         (cands (all-completions "proc." table)))
    (unless (member "proc.name" cands)
      (e2e-fail "completion after proc. lacks proc.name: %S" (seq-take cands 10)))
    (e2e-ok "completion after proc. offers %d items, proc.name among them" (length cands)))
  (delete-char -10)

  ;; 3. Hover on the macro defined in the other file.
  (goto-char (point-min))
  (search-forward "spawned_process")
  (backward-char 3)
  (let* ((hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                 (eglot--TextDocumentPositionParams)))
         (contents (plist-get hover :contents))
         (text (if (stringp contents) contents (plist-get contents :value))))
    (unless (and text (string-match-p "evt.type in (execve, execveat)" text))
      (e2e-fail "hover on spawned_process: %S" text))
    (e2e-ok "hover on spawned_process shows its definition"))

  ;; 4. Go to definition: base_rules.yaml.
  (let* ((locs (jsonrpc-request (eglot-current-server) :textDocument/definition
                                (eglot--TextDocumentPositionParams)))
         (loc (if (vectorp locs) (aref locs 0) locs))
         (uri (or (plist-get loc :uri) (plist-get loc :targetUri))))
    (unless (and uri (string-suffix-p "/base_rules.yaml" uri))
      (e2e-fail "definition of spawned_process: %S" locs))
    (e2e-ok "go to definition: %s" (file-name-nondirectory uri)))

  (eglot-shutdown (eglot-current-server))
  (princ "emacs e2e: all checks passed\n")
  (kill-emacs 0))
