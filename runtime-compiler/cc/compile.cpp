// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The helper's compile: the only code that links clang and LLVM. main.c
 * reads the request librtc sent and calls cc_compile() (compile.h).
 *
 * One compile: the clang driver turns the arguments into a cc1 invocation
 * for the HOST triple (kernel headers carry x86 inline asm and do not
 * compile with -target bpf); the front end emits LLVM IR with the LLVM
 * passes off; the module is retargeted to bpfel/bpfeb (triple, data
 * layout, host-only attributes and flags dropped); then the O2 pipeline
 * and codegen run with the BPF TargetMachine, as `clang -target bpf -O2`
 * would, and the ELF object is emitted to memory.
 */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <new>
#include <string>
#include <vector>

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/Version.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Driver/Compilation.h>
#include <clang/Driver/Driver.h>
#include <clang/Driver/Job.h>
#include <clang/Driver/Tool.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/MultiplexConsumer.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/Triple.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Host.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>

#include "compile.h"
#include "rtc_internal.h"

namespace {

void *volatile g_hook_sink;		/* keeps the "alloc" hook's memory live */

/* Out of memory under RLIMIT_AS: operator new, LLVM's safe_malloc. */
void on_new_failure()
{
	cc_oom();
}

void on_bad_alloc(void *, const char *, bool)
{
	on_new_failure();
}

void on_fatal(void *, const char *reason, bool)
{
	cc_fatal(reason);
}

} // namespace

const char *cc_version()
{
	static const std::string v = clang::getClangFullVersion() +
				     "; LLVM " LLVM_VERSION_STRING
				     "; " RTC_HELPER_NAME " " + std::to_string(RTC_PROTOCOL);

	return v.c_str();
}

namespace {

/* RTC_TEST_HOOK_ENV: make the helper misbehave on purpose, or describe
 * itself (tests only). */
void run_test_hook(llvm::raw_ostream &os)
{
	const char *hook = getenv(RTC_TEST_HOOK_ENV);

	if (!hook || !*hook)
		return;
	if (!strcmp(hook, "status")) {
		/* what the sandbox left it: capabilities, no_new_privs,
		 * limits, and its open fds */
		std::error_code ec;

		for (const char *f : {"/proc/self/status", "/proc/self/limits"}) {
			auto buf = llvm::MemoryBuffer::getFileAsStream(f);

			if (buf)
				os << (*buf)->getBuffer();
		}
		os << "fds:";
		for (llvm::sys::fs::directory_iterator it("/proc/self/fd", ec), end;
		     !ec && it != end; it.increment(ec))
			os << " " << llvm::sys::path::filename(it->path());
		os << "\n";
	} else if (!strcmp(hook, "sleep")) {
		for (;;)
			pause();
	} else if (!strcmp(hook, "segv")) {
		raise(SIGSEGV);
	} else if (!strcmp(hook, "abort")) {
		abort();
	} else if (!strcmp(hook, "alloc")) {
		for (;;) {	/* until operator new fails under the cap */
			char *p = new char[1 << 20];

			memset(p, 1, 1 << 20);
			g_hook_sink = p;
		}
	} else if (!strcmp(hook, "fatal")) {
		llvm::report_fatal_error("rtc test hook: fatal error");
	}
}

struct llvm_diag_state {
	llvm::raw_ostream *os;
	bool error;
};

/* Backend diagnostics (stack limit, unsupported calls, inline asm). */
void on_llvm_diag(const llvm::DiagnosticInfo &di, void *ctx)
{
	auto *st = static_cast<llvm_diag_state *>(ctx);
	const char *sev = "note";

	switch (di.getSeverity()) {
	case llvm::DS_Error:
		sev = "error";
		st->error = true;
		break;
	case llvm::DS_Warning:
		sev = "warning";
		break;
	case llvm::DS_Remark:
		return;
	case llvm::DS_Note:
		break;
	}
	llvm::DiagnosticPrinterRawOStream dp(*st->os);
	*st->os << sev << ": ";
	di.print(dp);
	*st->os << "\n";
}

/*
 * The host front end stamped its CPU, features and ABI choices on every
 * function and in the module flags; none of them mean anything for BPF
 * (and target-features would be parsed by the BPF subtarget).
 */
void retarget(llvm::Module &m, llvm::TargetMachine &tm)
{
	static const char *const fn_attrs[] = {
		"target-cpu", "target-features", "tune-cpu", "frame-pointer",
		"stack-protector-buffer-size", "probe-stack", "stack-probe-size",
		"min-legal-vector-width", "prefer-vector-width",
	};
	static const char *const drop_flags[] = {
		"PIC Level", "PIE Level", "uwtable", "frame-pointer",
		"Code Model", "SemanticInterposition",
	};

	m.setTargetTriple(tm.getTargetTriple().str());
	m.setDataLayout(tm.createDataLayout());
	for (llvm::Function &f : m) {
		for (const char *a : fn_attrs)
			f.removeFnAttr(a);
		f.removeFnAttr(llvm::Attribute::UWTable);
		f.removeFnAttr(llvm::Attribute::StackProtect);
		f.removeFnAttr(llvm::Attribute::StackProtectStrong);
		f.removeFnAttr(llvm::Attribute::StackProtectReq);
	}

	llvm::SmallVector<llvm::Module::ModuleFlagEntry, 8> flags;
	m.getModuleFlagsMetadata(flags);
	if (llvm::NamedMDNode *md = m.getModuleFlagsMetadata()) {
		md->eraseFromParent();
		for (const auto &f : flags) {
			llvm::StringRef key = f.Key->getString();
			bool drop = false;

			for (const char *d : drop_flags)
				drop |= key == d;
			if (!drop)
				m.addModuleFlag(f.Behavior, key, f.Val);
		}
	}
}

std::unique_ptr<llvm::TargetMachine> bpf_target_machine(const char *mcpu,
							 std::string &err)
{
	const char *triple = llvm::sys::IsBigEndianHost ? "bpfeb" : "bpfel";
	const llvm::Target *t;

	LLVMInitializeBPFTargetInfo();
	LLVMInitializeBPFTarget();
	LLVMInitializeBPFTargetMC();
	LLVMInitializeBPFAsmPrinter();
	t = llvm::TargetRegistry::lookupTarget(triple, err);
	if (!t)
		return nullptr;
	return std::unique_ptr<llvm::TargetMachine>(t->createTargetMachine(
		triple, mcpu, "", llvm::TargetOptions(), llvm::None,
		llvm::None, llvm::CodeGenOpt::Default));
}

/*
 * Most of a compile against kernel headers is clang parsing and checking
 * the bodies of the headers' inline functions, which a BPF program never
 * calls (it could not: they dereference kernel pointers directly). With
 * SkipFunctionBodies the parser asks the AST consumers before each body;
 * this one says skip for definitions under req->skip_body_dirs and keeps
 * the names it skipped, so that a program that does call one of them is
 * parsed again in full (see compile()).
 */
class body_skipper : public clang::ASTConsumer {
public:
	body_skipper(const clang::SourceManager &sm,
		     const struct cc_req *req, std::set<std::string> &skipped)
		: sm_(sm), req_(req), skipped_(skipped) {}

	bool shouldSkipFunctionBody(clang::Decl *d) override
	{
		clang::SourceLocation loc = sm_.getExpansionLoc(d->getLocation());
		llvm::StringRef file = sm_.getFilename(loc);
		auto *fd = llvm::dyn_cast<clang::FunctionDecl>(d);

		if (!fd || file.empty())
			return false;
		for (size_t i = 0; i < req_->skip_body_dir_cnt; i++) {
			llvm::StringRef dir = req_->skip_body_dirs[i];

			if (file.size() > dir.size() && file.startswith(dir) &&
			    file[dir.size()] == '/') {
				skipped_.insert(fd->getName().str());
				return true;
			}
		}
		return false;
	}

private:
	const clang::SourceManager &sm_;
	const struct cc_req *req_;
	std::set<std::string> &skipped_;
};

class emit_action : public clang::EmitLLVMOnlyAction {
public:
	emit_action(llvm::LLVMContext *ctx, const struct cc_req *req,
		    std::set<std::string> *skipped)
		: clang::EmitLLVMOnlyAction(ctx), req_(req), skipped_(skipped) {}

protected:
	std::unique_ptr<clang::ASTConsumer>
	CreateASTConsumer(clang::CompilerInstance &ci, llvm::StringRef in) override
	{
		std::unique_ptr<clang::ASTConsumer> cg =
			clang::EmitLLVMOnlyAction::CreateASTConsumer(ci, in);

		if (!skipped_ || !cg)
			return cg;
		/* MultiplexConsumer skips a body only if every consumer
		 * agrees; CodeGen's consumer always does. */
		std::vector<std::unique_ptr<clang::ASTConsumer>> v;
		v.push_back(std::move(cg));
		v.push_back(std::make_unique<body_skipper>(ci.getSourceManager(),
							   req_, *skipped_));
		return std::make_unique<clang::MultiplexConsumer>(std::move(v));
	}

private:
	const struct cc_req *req_;
	std::set<std::string> *skipped_;
};

/* Front end: driver arguments -> LLVM module (host triple, passes off). */
std::unique_ptr<llvm::Module> front_end(const struct cc_req *req,
					llvm::LLVMContext &ctx,
					llvm::raw_ostream &os,
					std::set<std::string> *skipped)
{
	auto mem = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
	auto fs = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(
		llvm::vfs::getRealFileSystem());

	for (size_t i = 0; i < req->file_cnt; i++) {
		const struct cc_file *f = &req->files[i];

		mem->addFile(f->path, 0, llvm::MemoryBuffer::getMemBufferCopy(
				 llvm::StringRef(f->data, f->size), f->path));
	}
	/* clang's builtin headers, from the helper itself */
	for (size_t i = 0; i < cc_header_cnt; i++) {
		const struct cc_header *h = &cc_headers[i];
		std::string path = RTC_RESOURCE_DIR "/include/";

		path += h->name;
		mem->addFile(path, 0, llvm::MemoryBuffer::getMemBuffer(
				 llvm::StringRef(h->start, h->end - h->start), path, false));
	}
	fs->pushOverlay(mem);

	llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> dopts =
		new clang::DiagnosticOptions();
	dopts->ShowColors = false;
	clang::DiagnosticsEngine diags(
		llvm::IntrusiveRefCntPtr<clang::DiagnosticIDs>(new clang::DiagnosticIDs()),
		&*dopts, new clang::TextDiagnosticPrinter(os, &*dopts), true);

	/* The resource dir is the embedded one; the driver's own path only
	 * names it (nothing is searched next to it). */
	clang::driver::Driver drv(RTC_RESOURCE_DIR "/bin/clang",
				  llvm::sys::getDefaultTargetTriple(), diags,
				  "bpfport runtime compiler", fs);
	drv.ResourceDir = RTC_RESOURCE_DIR;

	std::vector<const char *> args;
	args.push_back(drv.getClangProgramPath());
	args.insert(args.end(), req->args, req->args + req->argc);
	std::unique_ptr<clang::driver::Compilation> comp(drv.BuildCompilation(args));
	if (!comp || diags.hasErrorOccurred())
		return nullptr;

	const clang::driver::JobList &jobs = comp->getJobs();
	if (jobs.size() != 1 || !llvm::isa<clang::driver::Command>(*jobs.begin()) ||
	    llvm::StringRef(llvm::cast<clang::driver::Command>(*jobs.begin())
				    .getCreator().getName()) != "clang") {
		os << "error: the arguments do not make exactly one C compile job:";
		for (const char *a : args)
			os << " " << a;
		os << "\n";
		return nullptr;
	}
	const llvm::opt::ArgStringList &cc1 =
		llvm::cast<clang::driver::Command>(*jobs.begin()).getArguments();
	llvm::ArrayRef<const char *> cc1_args(cc1);
	if (!cc1_args.empty() && !strcmp(cc1_args.front(), "-cc1"))
		cc1_args = cc1_args.drop_front();

	auto inv = std::make_shared<clang::CompilerInvocation>();
	if (!clang::CompilerInvocation::CreateFromArgs(*inv, cc1_args, diags,
						       args[0]))
		return nullptr;
	/* IR as at -O2 but not optimised yet: the pipeline runs later with
	 * the BPF TargetMachine. */
	inv->getCodeGenOpts().DisableLLVMPasses = true;
	inv->getDiagnosticOpts().ShowColors = false;
	inv->getFrontendOpts().DisableFree = true;	/* the child exits anyway */

	clang::CompilerInstance ci;
	ci.setInvocation(inv);
	ci.createDiagnostics(new clang::TextDiagnosticPrinter(os, &ci.getDiagnosticOpts()),
			     true);
	ci.createFileManager(fs);

	inv->getFrontendOpts().SkipFunctionBodies = skipped != nullptr;
	emit_action act(&ctx, req, skipped);
	if (!ci.ExecuteAction(act))
		return nullptr;
	return act.takeModule();
}

/* Does the module use a function whose body the parser skipped? */
bool calls_skipped(const llvm::Module &m, const std::set<std::string> &skipped)
{
	for (const llvm::Function &f : m) {
		if (f.isDeclaration() && !f.isIntrinsic() && !f.use_empty() &&
		    skipped.count(f.getName().str()))
			return true;
	}
	return false;
}

} // namespace

int cc_compile(const struct cc_req *req, struct cc_out *out)
{
	std::string text;
	llvm::raw_string_ostream os(text);
	llvm::LLVMContext ctx;
	llvm_diag_state st = {&os, false};
	std::string err;
	int ret = -1;

	std::set_new_handler(on_new_failure);
	llvm::install_bad_alloc_error_handler(on_bad_alloc, nullptr);
	llvm::install_fatal_error_handler(on_fatal, nullptr);
	run_test_hook(os);

	std::unique_ptr<llvm::TargetMachine> tm =
		bpf_target_machine(req->mcpu && *req->mcpu ? req->mcpu : "v2", err);
	if (!tm) {
		os << "error: no BPF target in this LLVM: " << err << "\n";
		goto done;
	}
	if (!tm->getMCSubtargetInfo()->isCPUStringValid(tm->getTargetCPU())) {
		os << "error: unknown BPF CPU '" << tm->getTargetCPU()
		   << "' (LLVM " LLVM_VERSION_STRING " knows generic, v1, v2, v3, probe)\n";
		goto done;
	}

	{
		std::set<std::string> skipped;
		std::unique_ptr<llvm::Module> m = front_end(
			req, ctx, os, req->skip_body_dir_cnt ? &skipped : nullptr);
		if (!m)
			goto done;
		if (calls_skipped(*m, skipped)) {
			/* the program calls a header's inline function: parse
			 * again, bodies and all */
			m.reset();
			text.clear();
			m = front_end(req, ctx, os, nullptr);
			if (!m)
				goto done;
			out->reparsed = 1;
		} else {
			out->skipped_bodies = skipped.size();
		}

		ctx.setDiagnosticHandlerCallBack(on_llvm_diag, &st);
		retarget(*m, *tm);
		if (llvm::verifyModule(*m, &os)) {
			os << "error: internal: the module is broken after retargeting to BPF\n";
			goto done;
		}

		llvm::TargetLibraryInfoImpl tlii(llvm::Triple(m->getTargetTriple()));
		{
			llvm::LoopAnalysisManager lam;
			llvm::FunctionAnalysisManager fam;
			llvm::CGSCCAnalysisManager cgam;
			llvm::ModuleAnalysisManager mam;
			/* registers the BPF IR passes (TargetMachine callbacks) */
			llvm::PassBuilder pb(tm.get());

			fam.registerPass([&] { return llvm::TargetLibraryAnalysis(tlii); });
			pb.registerModuleAnalyses(mam);
			pb.registerCGSCCAnalyses(cgam);
			pb.registerFunctionAnalyses(fam);
			pb.registerLoopAnalyses(lam);
			pb.crossRegisterProxies(lam, fam, cgam, mam);
			llvm::ModulePassManager mpm =
				pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
			mpm.run(*m, mam);
		}

		llvm::SmallVector<char, 0> buf;
		llvm::raw_svector_ostream obj_os(buf);
		llvm::legacy::PassManager cg;
		cg.add(new llvm::TargetLibraryInfoWrapperPass(tlii));
		if (tm->addPassesToEmitFile(cg, obj_os, nullptr, llvm::CGFT_ObjectFile)) {
			os << "error: the BPF target cannot emit an object file\n";
			goto done;
		}
		cg.run(*m);
		if (st.error)
			goto done;

		out->obj = malloc(buf.size());
		if (!out->obj)
			on_new_failure();
		memcpy(out->obj, buf.data(), buf.size());
		out->obj_sz = buf.size();
		ret = 0;
	}
done:
	os.flush();
	out->diag = strdup(text.c_str());
	if (!out->diag)
		on_new_failure();
	return ret;
}
